{
  "variables": {
    "mmsn_openblas%": "<!(node -p \"process.env.MMSN_NO_OPENBLAS !== '1' && ['/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h', '/usr/include/openblas/cblas.h'].some((f) => require('fs').existsSync(f)) ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "mmsn_native",
      "sources": [
        "backend/addon.cc",
        "backend/gemm.cc",
        "backend/matmul.cc",
        "backend/elementwise.cc",
        "backend/reduce.cc",
        "backend/fused.cc",
        "backend/attention.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "libraries": [
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
      ],
      "conditions": [
        ["mmsn_openblas==1", {
          "include_dirs": [
            "/usr/include/x86_64-linux-gnu/openblas-pthread",
            "/usr/include/openblas"
          ],
          "libraries": [
            "-lopenblas"
          ],
          "defines": [
            "MMSN_HAVE_OPENBLAS"
          ]
        }]
      ]
    }
  ],
  "conditions": [
    ["mmsn_openblas==1", {
      "targets": [
        {
          "target_name": "mmsn_blas",
          "sources": [
            "sgemm.cc"
          ],
          "include_dirs": [
            "<!(node -p \"require('node-addon-api').include_dir\")",
            "/usr/include/x86_64-linux-gnu/openblas-pthread",
            "/usr/include/openblas"
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
        }
      ]
    }]
  ]
}
