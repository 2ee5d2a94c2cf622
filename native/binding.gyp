{
  "targets": [
    {
      "target_name": "mmsn_blas",
      "sources": [
        "sgemm.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/x86_64-linux-gnu/openblas-pthread"
      ],
      "libraries": [
        "-lopenblas"
      ],
      "cflags_cc": [
        "-O3",
        "-fexceptions"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS"
      ]
    },
    {
      "target_name": "mmsn_native",
      "sources": [
        "backend/addon.cc",
        "backend/matmul.cc",
        "backend/elementwise.cc",
        "backend/reduce.cc",
        "backend/fused.cc",
        "backend/attention.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/x86_64-linux-gnu/openblas-pthread"
      ],
      "libraries": [
        "-lopenblas",
        "-fopenmp"
      ],
      "cflags_cc": [
        "-O3",
        "-std=c++17",
        "-fexceptions",
        "-fopenmp",
        "-fno-math-errno",
        "-fno-trapping-math"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++14",
        "-std=gnu++17"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS"
      ]
    }
  ]
}