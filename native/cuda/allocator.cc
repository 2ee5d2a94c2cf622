// The caching allocator shared by both devices.
#include "device.h"

namespace mmsn_cuda {

static size_t roundUp(size_t n) {
  const size_t q = n < (1u << 20) ? 512 : (size_t(1) << 17);  // 512 B below 1 MiB, else 128 KiB steps
  return (n + q - 1) / q * q;
}

void* Device::alloc(size_t bytes, size_t* cap) {
  *cap = roundUp(bytes);
  auto it = cache_.find(*cap);
  if (it != cache_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    cachedBytes -= *cap;
    inUseBytes += *cap;
    return p;
  }
  void* p = rawAlloc(*cap);
  if (!p && cachedBytes > 0) {  // give the cache back and try once more
    emptyCache();
    p = rawAlloc(*cap);
  }
  if (!p) {
    throw std::runtime_error("out of device memory: " + std::to_string(bytes) + " bytes requested, " + std::to_string(inUseBytes) +
                             " bytes in use by tensors (dispose tensors, or use a smaller batch)");
  }
  inUseBytes += *cap;
  return p;
}

void Device::release(void* ptr, size_t cap) {
  if (!ptr) return;
  cache_[cap].push_back(ptr);
  inUseBytes -= cap;
  cachedBytes += cap;
}

void Device::emptyCache() {
  sync();
  for (auto& [cap, v] : cache_)
    for (void* p : v) rawFree(p);
  cache_.clear();
  cachedBytes = 0;
}

}  // namespace mmsn_cuda
