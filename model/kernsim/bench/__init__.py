"""``kernsim bench``: kernsim against bare SimPy, hand-written SimPy and Ciw, and the sweep executors' speed-up."""
