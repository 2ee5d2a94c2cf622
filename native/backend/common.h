// Shared helpers of the native tfjs backend (mmsn_native.node): OpenMP parallel loops with a size threshold.
#pragma once
#include <cstdint>
#include <omp.h>

namespace mmsn {

// Below this many elements a kernel runs on the calling thread: waking the pool costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

inline int threadsFor(int64_t work) { return work >= kParallelMin ? omp_get_max_threads() : 1; }

}  // namespace mmsn
