{
  "targets": [
    {
      "target_name": "mmsn_cuda",
      "sources": ["addon.cc", "allocator.cc", "device_host.cc", "device_cuda.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["-ldl", "-fopenmp"],
      "cflags_cc": ["-O2", "-std=c++17", "-fexceptions", "-fopenmp", "-Wall", "-Wno-unknown-pragmas"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
