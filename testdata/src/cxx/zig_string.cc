// zig c++ links LLVM libc++/libc++abi statically: no libstdc++ DT_NEEDED, but the static runtime
// brings its own glibc needs (ld-linux for __tls_get_addr, libpthread, libdl on old targets).
#include <cstring>
#include <string>

extern "C" unsigned long ag_len(const char *s) {
    std::string v(s);
    v += "-abigate";
    return v.size() + std::strlen(s);
}
