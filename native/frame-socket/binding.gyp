{
  "targets": [
    {
      "target_name": "frame_socket",
      "sources": ["src/frame_socket.c", "src/packet_socket.c", "src/answers_js.c", "src/receiver.c", "src/answer.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"],
      "link_settings": { "libraries": ["-lpcap", "-lpthread"] }
    }
  ]
}
