print("rotation-bench: not built yet")
