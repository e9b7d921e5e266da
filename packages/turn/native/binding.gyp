{
  "targets": [
    {
      "target_name": "turn_udp",
      "sources": ["address.c", "tables.c", "fast_paths.c", "engine.c", "bindings.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none", "sources": []}]]
    }
  ]
}
