// g++ 12 binds std::condition_variable::wait(unique_lock&) to its new default version
// GLIBCXX_3.4.30, and copying a std::exception_ptr calls _M_addref/_M_release (CXXABI_1.3.13):
// the newest libstdc++ nodes a GCC 12 build typically carries.
#include <condition_variable>
#include <exception>
#include <mutex>

bool ag_ready = true;
static std::mutex mtx;
static std::condition_variable cv;

extern "C" int ag_wait() {
    std::unique_lock<std::mutex> lock(mtx);
    cv.wait(lock, [] { return ag_ready; });
    return 1;
}

extern "C" int ag_eptr() {
    std::exception_ptr p = std::make_exception_ptr(1);
    std::exception_ptr q = p;
    return q ? 1 : 0;
}
