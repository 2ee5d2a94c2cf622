{
  "targets": [
    {
      "target_name": "mmsn_blas",
      "sources": ["sgemm.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "/usr/include/x86_64-linux-gnu/openblas-pthread"],
      "libraries": ["-lopenblas"],
      "cflags_cc": ["-O3", "-fexceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
