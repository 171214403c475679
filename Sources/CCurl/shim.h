// All libcurl interop for Strain. Swift cannot call C variadic functions, so every
// curl_easy_setopt / curl_multi_setopt / curl_easy_getinfo use goes through one of these
// non-variadic wrappers, one per value type. The system calls Glibc's Swift module lacks (timerfd,
// epoll) are wrapped here too, so that all C interop stays in the shim headers.
#ifndef STRAIN_CCURL_SHIM_H
#define STRAIN_CCURL_SHIM_H

#include <curl/curl.h>
#include <sys/timerfd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <errno.h>
#include <stdint.h>

// CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION share this signature.
typedef size_t (*strain_curl_data_callback)(char *data, size_t size, size_t count, void *userdata);

// MARK: curl_easy_setopt

static inline CURLcode strain_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strain_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

// Strings that libcurl copies (URL, CUSTOMREQUEST, CAINFO, ...).
static inline CURLcode strain_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

// Pointers libcurl keeps without copying (ERRORBUFFER, POSTFIELDS, WRITEDATA, PRIVATE, ...).
static inline CURLcode strain_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strain_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strain_curl_easy_setopt_data_callback(CURL *handle, CURLoption option,
                                                             strain_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

// CURLOPT_PREREQFUNCTION: called for every request (first and each redirect hop) just before it is sent.
static inline CURLcode strain_curl_easy_setopt_prereq_callback(CURL *handle, curl_prereq_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, callback);
}

// CURLOPT_RESOLVER_START_FUNCTION: called before a host name (or address) not in the DNS cache is
// resolved, for the first request and each redirect hop.
typedef int (*strain_curl_resolver_start_callback)(void *resolver_state, void *reserved, void *userdata);
static inline CURLcode strain_curl_easy_setopt_resolver_start_callback(CURL *handle, strain_curl_resolver_start_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_RESOLVER_START_FUNCTION, callback);
}

// MARK: curl_multi_setopt

static inline CURLMcode strain_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

// MARK: curl_easy_getinfo

static inline CURLcode strain_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode strain_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode strain_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

// MARK: a sub-millisecond wake-up for curl_multi_poll

// curl_multi_poll's timeout counts whole milliseconds; a timer descriptor passed to it as an extra
// fd ends the wait at the exact microsecond instead, while curl still watches every socket.
static inline int strain_timerfd_create(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

// Arms `fd` to become readable in `microseconds` (at least 1 ns: a zero time would disarm it);
// re-arming also clears an expiry nobody read.
static inline int strain_timerfd_arm(int fd, long long microseconds) {
    struct itimerspec spec = { 0 };
    spec.it_value.tv_sec = microseconds / 1000000;
    spec.it_value.tv_nsec = (microseconds % 1000000) * 1000;
    if (microseconds <= 0) spec.it_value.tv_nsec = 1;
    return timerfd_settime(fd, 0, &spec, NULL);
}

// MARK: punctual wake-ups for the workers

// A thread's timers may fire up to its timer slack late (50 µs by default), and an open-model worker
// measures latency from the intended send time, so that slack would show as latency the target never
// caused. One nanosecond asks the kernel to wake the calling thread on time.
static inline int strain_wake_punctually(void) {
    return prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

// MARK: epoll for the lean HTTP engine

// Glibc's Swift module has no epoll; struct epoll_event is packed on x86_64, so readiness is copied
// into this plain struct instead.
typedef struct {
    uint64_t token;
    uint32_t events;
} strain_ready_event;

enum {
    STRAIN_EPOLL_IN = EPOLLIN,
    STRAIN_EPOLL_OUT = EPOLLOUT,
    STRAIN_EPOLL_ERR = EPOLLERR,
    STRAIN_EPOLL_HUP = EPOLLHUP,
    STRAIN_EPOLL_RDHUP = EPOLLRDHUP,
    STRAIN_EPOLL_READY_MAX = 256,
};

static inline int strain_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

// Watches `fd` (level-triggered) for input, and for output too when `writable`; `add` registers it,
// otherwise its interest is changed.
static inline int strain_epoll_watch(int epfd, int fd, uint64_t token, int writable, int add) {
    struct epoll_event event = { 0 };
    event.events = EPOLLIN | EPOLLRDHUP | (writable ? EPOLLOUT : 0);
    event.data.u64 = token;
    return epoll_ctl(epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

// Waits at most `microseconds` (-1: no limit) for up to STRAIN_EPOLL_READY_MAX ready descriptors.
// epoll_pwait2 ends the wait at the exact microsecond; on kernels before 5.11 it falls back to
// epoll_wait with the timeout rounded down to whole milliseconds (the caller waits again for the rest).
static inline int strain_epoll_wait(int epfd, strain_ready_event *ready, long long microseconds) {
    struct epoll_event events[STRAIN_EPOLL_READY_MAX];
    int count;
    struct timespec timeout = { microseconds / 1000000, (microseconds % 1000000) * 1000 };
    count = epoll_pwait2(epfd, events, STRAIN_EPOLL_READY_MAX, microseconds < 0 ? NULL : &timeout, NULL);
    if (count < 0 && errno == ENOSYS) {
        count = epoll_wait(epfd, events, STRAIN_EPOLL_READY_MAX, microseconds < 0 ? -1 : (int)(microseconds / 1000));
    }
    for (int i = 0; i < count; i++) {
        ready[i].token = events[i].data.u64;
        ready[i].events = events[i].events;
    }
    return count;
}

#endif
