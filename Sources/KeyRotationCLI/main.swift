print("keyrotation: not built yet")
