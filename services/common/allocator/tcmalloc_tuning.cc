// Linked into the service binaries when they allocate with tcmalloc (CMake
// option IOP_TCMALLOC). tcmalloc's defaults trade memory for speed: per-thread
// caches of up to 32 MiB in all, and freed pages handed back to the kernel
// lazily. A service's live objects take a few MiB, so those caches would be
// most of its resident size; limiting them and returning freed spans at once
// kept the peak RSS near what glibc's malloc had, with the speed kept
// (docs/benchmarks.md, "tcmalloc").
#include <gperftools/malloc_extension.h>

namespace {

constexpr size_t kThreadCacheBytes = size_t{4} << 20;

// Runs before main(); the first allocations (static objects) come earlier,
// which only means they were cached under the defaults.
const bool kTuned = [] {
  MallocExtension* tcmalloc = MallocExtension::instance();
  tcmalloc->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes", kThreadCacheBytes);
  tcmalloc->SetNumericProperty("tcmalloc.aggressive_memory_decommit", 1);
  return true;
}();

}  // namespace
