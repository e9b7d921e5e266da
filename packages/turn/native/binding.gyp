{
  "targets": [
    {
      "target_name": "turn_udp",
      "sources": ["turn_udp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none", "sources": []}]]
    }
  ]
}
