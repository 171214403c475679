// All libcurl interop for Strain. Swift cannot call C variadic functions, so every
// curl_easy_setopt / curl_multi_setopt / curl_easy_getinfo use goes through one of these
// non-variadic wrappers, one per value type.
#ifndef STRAIN_CCURL_SHIM_H
#define STRAIN_CCURL_SHIM_H

#include <curl/curl.h>

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

// MARK: curl_multi_setopt

static inline CURLMcode strain_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

static inline CURLMcode strain_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}

// MARK: curl_easy_getinfo

static inline CURLcode strain_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode strain_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode strain_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode strain_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

// CURLINFO_PRIVATE and other pointer-valued infos.
static inline CURLcode strain_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
