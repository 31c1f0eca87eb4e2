"""The experiment configuration: field types, the schema, the faults schema, architecture presets and the messages that name a bad key."""
