{
  "variables": {
    "mmsn_jpeg%": 1
  },
  "targets": [
    {
      "target_name": "mmsn_png",
      "sources": [
        "png.cc",
        "../third_party/libdeflate/lib/deflate_decompress.c",
        "../third_party/libdeflate/lib/zlib_decompress.c",
        "../third_party/libdeflate/lib/adler32.c",
        "../third_party/libdeflate/lib/crc32.c",
        "../third_party/libdeflate/lib/utils.c",
        "../third_party/libdeflate/lib/x86/cpu_features.c",
        "../third_party/libdeflate/lib/arm/cpu_features.c"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../third_party/libdeflate"
      ],
      "cflags": [
        "-O2"
      ],
      "cflags_c": [
        "-std=gnu99"
      ],
      "cflags_cc": [
        "-O2",
        "-std=c++17",
        "-fexceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++14",
        "-std=gnu++17"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "LIBDEFLATE_STATIC"
      ]
    },
    {
      "target_name": "mmsn_views",
      "sources": [
        "views.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "cflags_cc": [
        "-O3",
        "-std=c++17",
        "-fexceptions",
        "-ffp-contract=off"
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
  ],
  "conditions": [
    [
      "mmsn_jpeg==1",
      {
        "targets": [
          {
            "target_name": "mmsn_jpeg",
            "sources": [
              "jpeg.cc"
            ],
            "include_dirs": [
              "<!(node -p \"require('node-addon-api').include_dir\")"
            ],
            "libraries": [
              "-ljpeg"
            ],
            "cflags_cc": [
              "-O2",
              "-std=c++17",
              "-fexceptions"
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
    ]
  ]
}
