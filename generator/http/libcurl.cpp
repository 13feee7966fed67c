// libcurl, opened on first use instead of linked: the curl_* functions this
// program calls, each forwarding to libcurl.so.4 once dlopen() has loaded it.
//
// Why: libcurl brings 26 shared libraries (TLS, Kerberos, LDAP, SSH, IDN...)
// into every process that links it, whether it downloads anything or not. A
// build that fetches nothing (a warm cache, `validate`, `inspect` of a layout)
// no longer maps them, and the builds of a fleet, forks of a process that has
// not loaded them, fork and exit with half the mappings (docs/performance.md,
// "libcurl on first use"). A build that downloads pays the same linking, once,
// at its first request.
//
// Only the functions called in generator/ are here; a new one is one line in
// each of the two lists below, or the link fails naming it.
#define CURL_DISABLE_TYPECHECK  // the definitions below, not GCC's type-checking macros
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <string>

#include "util/error.h"

namespace {

struct Curl {
#define XB_CURL_FUNCTIONS(X)         \
  X(curl_global_init)                \
  X(curl_easy_init)                  \
  X(curl_easy_setopt)                \
  X(curl_easy_perform)               \
  X(curl_easy_getinfo)               \
  X(curl_easy_reset)                 \
  X(curl_easy_cleanup)               \
  X(curl_easy_strerror)              \
  X(curl_easy_escape)                \
  X(curl_free)                       \
  X(curl_slist_append)               \
  X(curl_slist_free_all)             \
  X(curl_getdate)                    \
  X(curl_url)                        \
  X(curl_url_set)                    \
  X(curl_url_get)                    \
  X(curl_url_cleanup)
#define XB_CURL_POINTER(name) decltype(&::name) name = nullptr;
  XB_CURL_FUNCTIONS(XB_CURL_POINTER)
#undef XB_CURL_POINTER
};

const Curl& curl() {
  static const Curl loaded = [] {
    Curl c;
    // RTLD_LAZY: its libraries' functions bound at their first call, as when
    // it was linked, not the thousands of them at once.
    // RTLD_LOCAL: its symbols stay out of the global scope, where they would
    // meet the ones defined in this file.
    void* lib = ::dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
    if (!lib)
      xb::fail_runtime(std::string("cannot load libcurl: ") + ::dlerror(),
                       "install libcurl (Debian: apt-get install libcurl4)");
#define XB_CURL_RESOLVE(name)                                                                     \
  if (!(c.name = reinterpret_cast<decltype(c.name)>(::dlsym(lib, #name))))                      \
    xb::fail_runtime("cannot load libcurl: it has no " #name, "install libcurl 7.62 or later (Debian: libcurl4)");
    XB_CURL_FUNCTIONS(XB_CURL_RESOLVE)
#undef XB_CURL_RESOLVE
    return c;
  }();
  return loaded;
}

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) { return curl().curl_global_init(flags); }
CURL* curl_easy_init(void) { return curl().curl_easy_init(); }
CURLcode curl_easy_perform(CURL* h) { return curl().curl_easy_perform(h); }
void curl_easy_reset(CURL* h) { curl().curl_easy_reset(h); }
void curl_easy_cleanup(CURL* h) { curl().curl_easy_cleanup(h); }
const char* curl_easy_strerror(CURLcode code) { return curl().curl_easy_strerror(code); }
char* curl_easy_escape(CURL* h, const char* s, int n) { return curl().curl_easy_escape(h, s, n); }
void curl_free(void* p) { curl().curl_free(p); }
struct curl_slist* curl_slist_append(struct curl_slist* l, const char* s) { return curl().curl_slist_append(l, s); }
void curl_slist_free_all(struct curl_slist* l) { curl().curl_slist_free_all(l); }
time_t curl_getdate(const char* s, const time_t* unused) { return curl().curl_getdate(s, unused); }
CURLU* curl_url(void) { return curl().curl_url(); }
CURLUcode curl_url_set(CURLU* u, CURLUPart what, const char* part, unsigned int flags) {
  return curl().curl_url_set(u, what, part, flags);
}
CURLUcode curl_url_get(CURLU* u, CURLUPart what, char** part, unsigned int flags) {
  return curl().curl_url_get(u, what, part, flags);
}
void curl_url_cleanup(CURLU* u) { curl().curl_url_cleanup(u); }

// The option's number says the type of its one argument (curl/curl.h, CURLOPTTYPE_*).
CURLcode curl_easy_setopt(CURL* h, CURLoption option, ...) {
  va_list ap;
  va_start(ap, option);
  CURLcode r;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    r = curl().curl_easy_setopt(h, option, va_arg(ap, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    r = curl().curl_easy_setopt(h, option, va_arg(ap, void*));
  } else if (option < CURLOPTTYPE_OFF_T) {
    using Function = void (*)(void);
    r = curl().curl_easy_setopt(h, option, va_arg(ap, Function));
  } else if (option < CURLOPTTYPE_BLOB) {
    r = curl().curl_easy_setopt(h, option, va_arg(ap, curl_off_t));
  } else {
    r = curl().curl_easy_setopt(h, option, va_arg(ap, void*));  // a struct curl_blob*
  }
  va_end(ap);
  return r;
}

// Every CURLINFO_* takes a pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* h, CURLINFO info, ...) {
  va_list ap;
  va_start(ap, info);
  CURLcode r = curl().curl_easy_getinfo(h, info, va_arg(ap, void*));
  va_end(ap);
  return r;
}

}  // extern "C"
