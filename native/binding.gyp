{
  "targets": [
    {
      "target_name": "spillway",
      "sources": [
        "src/addon.cc",
        "src/napi_args.cc",
        "src/posix_map.cc",
        "src/crc32c_hw.cc"
      ],
      # N-API 8 (Node >= 12.22/14.17/15.12) is enough: detach needs 7.
      "defines": ["NAPI_VERSION=8"],
      # Node's common.gypi adds -O3 and -std=gnu++17; we build strict ISO
      # C++17 at -O2 so GNU extensions cannot creep in unnoticed.
      "cflags!": ["-O3"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "2",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      }
    }
  ]
}
