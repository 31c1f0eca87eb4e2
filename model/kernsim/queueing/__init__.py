"""The general queueing core: requests, stations, networks, sources, clients with timeouts and retries, triggers and migration."""
