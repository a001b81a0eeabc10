// The MQL5 built-ins the shared TradeGuard include files use, in C++17, so that g++ compiles the very
// text MetaEditor compiles (ea/README.md). Header-only; link with -lcrypto (CryptEncode's SHA-256).
//
// Faithful where the shared code could notice: StringToCharArray copies the terminating 0 with
// WHOLE_ARRAY, ArrayResize leaves new numeric elements as garbage (0xCD), an index out of range stops
// the program (MQL5's "array out of range"), MathRand is the documented LCG, WebRequest answers a status
// or -1 with 5200..5203. One known difference: `string` holds UTF-8 here, so StringLen and friends count
// bytes where MQL5 counts UTF-16 units; shared code does its text work on UTF-8 bytes for that reason.
// CryptEncode here refuses an empty input (as the terminal may), so the core's empty-body path is run.
#ifndef TG_MQL5_SHIM_HPP
#define TG_MQL5_SHIM_HPP

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// ---------------------------------------------------------------- types
typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;
typedef long datetime;
static_assert(sizeof(long) == 8 && sizeof(ulong) == 8, "MQL5 long/ulong are 64-bit (LP64 needed)");

#define WHOLE_ARRAY (-1)
#define CP_ACP 0
#define CP_UTF8 65001
#define EMPTY_VALUE 0x7FFFFFFF
#define INVALID_HANDLE (-1)

#define ERR_SUCCESS 0
#define ERR_INTERNAL_ERROR 4001
#define ERR_INVALID_PARAMETER 4003
#define ERR_NOT_ENOUGH_MEMORY 4004
#define ERR_FUNCTION_NOT_ALLOWED 4014
#define ERR_GLOBALVARIABLE_NOT_FOUND 4501
#define ERR_WEBREQUEST_INVALID_ADDRESS 5200
#define ERR_WEBREQUEST_CONNECT_FAILED 5201
#define ERR_WEBREQUEST_TIMEOUT 5202
#define ERR_WEBREQUEST_REQUEST_FAILED 5203

enum ENUM_CRYPT_METHOD {
  CRYPT_BASE64,
  CRYPT_AES128,
  CRYPT_AES256,
  CRYPT_DES,
  CRYPT_HASH_SHA1,
  CRYPT_HASH_SHA256,
  CRYPT_HASH_MD5,
  CRYPT_ARCH_ZIP
};

namespace mql5shim {
inline int &last_error() {
  static int e = 0;
  return e;
}
}  // namespace mql5shim

inline int GetLastError() { return mql5shim::last_error(); }
inline void ResetLastError() { mql5shim::last_error() = 0; }
inline void SetUserError(ushort code) { mql5shim::last_error() = 65536 + code; }
#define _LastError (mql5shim::last_error())

// ---------------------------------------------------------------- string (UTF-8 bytes)
class string {
 public:
  string() {}
  string(const char *s) : s_(s ? s : "") {}
  string(const std::string &s) : s_(s) {}
  const std::string &std() const { return s_; }
  std::string &std() { return s_; }
  const char *c_str() const { return s_.c_str(); }
  string &operator+=(const string &o) {
    s_ += o.s_;
    return *this;
  }
  friend string operator+(const string &a, const string &b) { return string(a.s_ + b.s_); }
  friend bool operator==(const string &a, const string &b) { return a.s_ == b.s_; }
  friend bool operator!=(const string &a, const string &b) { return a.s_ != b.s_; }
  friend bool operator<(const string &a, const string &b) { return a.s_ < b.s_; }
  friend bool operator>(const string &a, const string &b) { return a.s_ > b.s_; }

 private:
  std::string s_;
};

// ---------------------------------------------------------------- dynamic arrays
template <class T>
struct mqlarr {
  std::vector<T> d;
  T &operator[](long i) {
    check(i);
    return d[(size_t)i];
  }
  const T &operator[](long i) const {
    check(i);
    return d[(size_t)i];
  }
  void check(long i) const {
    if (i < 0 || (size_t)i >= d.size()) {
      std::fprintf(stderr, "critical error: array out of range (index %ld, size %zu)\n", i, d.size());
      std::abort();
    }
  }
};

// A dynamic array member of a struct: `T name[]` in MQL5 (Platform.mqh), mqlarr<T> here.
#define TG_ARRAY(T, name) mqlarr<T> name

struct Bytes {
  mqlarr<uchar> v;
};
struct Chars {
  mqlarr<char> v;
};

template <class T>
inline int ArraySize(const mqlarr<T> &a) {
  return (int)a.d.size();
}
template <class T>
inline int ArrayResize(mqlarr<T> &a, int n, int reserve = 0) {
  if (n < 0) {
    mql5shim::last_error() = ERR_INVALID_PARAMETER;
    return -1;
  }
  size_t old = a.d.size();
  if (reserve > 0) a.d.reserve((size_t)n + (size_t)reserve);
  a.d.resize((size_t)n);
  if constexpr (std::is_arithmetic<T>::value) {
    for (size_t i = old; i < (size_t)n; i++) std::memset(&a.d[i], 0xCD, sizeof(T));  // not zeroed in MQL5
  }
  return n;
}
template <class T>
inline void ArrayFree(mqlarr<T> &a) {
  a.d.clear();
  a.d.shrink_to_fit();
}
template <class T>
inline int ArrayCopy(mqlarr<T> &dst, const mqlarr<T> &src, int dst_start = 0, int src_start = 0,
                     int count = WHOLE_ARRAY) {
  int ssize = (int)src.d.size();
  if (src_start < 0 || dst_start < 0 || src_start > ssize) return 0;
  int n = (count < 0 || src_start + count > ssize) ? ssize - src_start : count;
  if ((int)dst.d.size() < dst_start + n) dst.d.resize((size_t)(dst_start + n));
  std::vector<T> tmp(src.d.begin() + src_start, src.d.begin() + src_start + n);  // src may be dst
  for (int i = 0; i < n; i++) dst.d[(size_t)(dst_start + i)] = tmp[(size_t)i];
  return n;
}
template <class T>
inline int ArrayInitialize(mqlarr<T> &a, T value) {
  for (auto &x : a.d) x = value;
  return (int)a.d.size();
}

// ---------------------------------------------------------------- strings
inline int StringLen(const string &s) { return (int)s.std().size(); }  // bytes here, UTF-16 units in MQL5
inline string StringSubstr(const string &s, int start, int length = -1) {
  int n = (int)s.std().size();
  if (start < 0 || start >= n) return string("");
  if (length < 0 || start + length > n) length = n - start;
  return string(s.std().substr((size_t)start, (size_t)length));
}
inline int StringFind(const string &s, const string &match, int start = 0) {
  if (start < 0) start = 0;
  size_t p = s.std().find(match.std(), (size_t)start);
  return p == std::string::npos ? -1 : (int)p;
}
inline int StringReplace(string &s, const string &find, const string &replacement) {
  if (find.std().empty()) return -1;
  int count = 0;
  size_t p = 0;
  std::string &t = s.std();
  while ((p = t.find(find.std(), p)) != std::string::npos) {
    t.replace(p, find.std().size(), replacement.std());
    p += replacement.std().size();
    count++;
  }
  return count;
}
inline int StringTrimLeft(string &s) {
  std::string &t = s.std();
  size_t i = 0;
  while (i < t.size() && (uchar)t[i] <= ' ') i++;
  t.erase(0, i);
  return (int)i;
}
inline int StringTrimRight(string &s) {
  std::string &t = s.std();
  size_t n = t.size();
  while (!t.empty() && (uchar)t.back() <= ' ') t.pop_back();
  return (int)(n - t.size());
}
inline bool StringToLower(string &s) {
  for (auto &c : s.std())
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
  return true;
}
inline bool StringToUpper(string &s) {
  for (auto &c : s.std())
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
  return true;
}
inline ushort StringGetCharacter(const string &s, int pos) {
  if (pos < 0 || pos >= (int)s.std().size()) return 0;
  return (uchar)s.std()[(size_t)pos];
}
inline string ShortToString(ushort c) { return string(std::string(1, (char)c)); }

// count: bytes to convert; WHOLE_ARRAY converts the whole string AND copies its terminating 0 (counted).
inline int StringToCharArray(const string &s, mqlarr<uchar> &a, int start = 0, int count = WHOLE_ARRAY,
                             uint codepage = CP_ACP) {
  (void)codepage;  // the string already holds UTF-8
  const std::string &t = s.std();
  int n = (count < 0 || count > (int)t.size() + 1) ? (int)t.size() + 1 : count;
  if (start < 0) start = 0;
  if ((int)a.d.size() < start + n) a.d.resize((size_t)(start + n));  // grows, never shrinks
  for (int i = 0; i < n; i++) a.d[(size_t)(start + i)] = i < (int)t.size() ? (uchar)t[(size_t)i] : 0;
  return n;
}
// Stops at the first 0 byte, as MQL5.
inline string CharArrayToString(const mqlarr<uchar> &a, int start = 0, int count = -1,
                                uint codepage = CP_ACP) {
  (void)codepage;
  int size = (int)a.d.size();
  if (start < 0 || start >= size) return string("");
  int end = (count < 0 || start + count > size) ? size : start + count;
  std::string out;
  for (int i = start; i < end && a.d[(size_t)i] != 0; i++) out.push_back((char)a.d[(size_t)i]);
  return string(out);
}

inline string IntegerToString(long number, int str_len = 0, ushort fill_symbol = ' ') {
  std::string s = std::to_string(number);
  while ((int)s.size() < str_len) s.insert(s.begin(), (char)fill_symbol);
  return string(s);
}
inline string DoubleToString(double value, int digits = 8) {
  if (digits < 0 || digits > 16) digits = 8;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return string(buf);
}
inline double StringToDouble(const string &s) { return std::strtod(s.c_str(), nullptr); }
inline long StringToInteger(const string &s) { return std::strtol(s.c_str(), nullptr, 10); }

namespace mql5shim {
inline const char *fmt_arg(const string &s) { return s.c_str(); }
template <class T>
inline auto fmt_arg(T v) {
  if constexpr (std::is_floating_point<T>::value) return (double)v;
  else if constexpr (std::is_enum<T>::value) return (long long)v;
  else if constexpr (std::is_integral<T>::value) return (long long)v;
  else return v;
}
// MQL5 formats int and long alike with %d; here every integer travels as long long, so each integer
// conversion gets the `ll` size (any h/l/ll/I32/I64 given is dropped first).
inline std::string widen_format(const char *f) {
  std::string out;
  for (const char *p = f; *p; p++) {
    out.push_back(*p);
    if (*p != '%') continue;
    if (p[1] == '%') {
      out.push_back(*++p);
      continue;
    }
    p++;
    while (*p && std::strchr("-+ #0123456789.*", *p)) out.push_back(*p++);
    while (*p == 'h' || *p == 'l') p++;
    if (p[0] == 'I' && ((p[1] == '6' && p[2] == '4') || (p[1] == '3' && p[2] == '2'))) p += 3;
    if (!*p) break;
    if (std::strchr("diouxX", *p)) out += "ll";
    if (*p == 'c') {  // a character travels as long long too; print it through %s
      out += "c";
      continue;
    }
    out.push_back(*p);
  }
  return out;
}
}  // namespace mql5shim

template <class... A>
inline string StringFormat(const string &format, A... args) {
  std::string f = mql5shim::widen_format(format.c_str());
  int n = std::snprintf(nullptr, 0, f.c_str(), mql5shim::fmt_arg(args)...);
  if (n < 0) return string("");
  std::vector<char> buf((size_t)n + 1);
  std::snprintf(buf.data(), buf.size(), f.c_str(), mql5shim::fmt_arg(args)...);
  return string(std::string(buf.data(), (size_t)n));
}

namespace mql5shim {
inline std::string to_text(const string &s) { return s.std(); }
inline std::string to_text(const char *s) { return s; }
inline std::string to_text(char *s) { return s; }
inline std::string to_text(bool b) { return b ? "true" : "false"; }
inline std::string to_text(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.8g", d);
  return buf;
}
template <class T>
inline std::string to_text(T v) {
  return std::to_string(v);
}
}  // namespace mql5shim

template <class... A>
inline void Print(A... args) {
  std::string line;
  ((line += mql5shim::to_text(args)), ...);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}
template <class... A>
inline void PrintFormat(const string &format, A... args) {
  Print(StringFormat(format, args...));
}

// ---------------------------------------------------------------- hashing
inline int CryptEncode(ENUM_CRYPT_METHOD method, const mqlarr<uchar> &data, const mqlarr<uchar> &key,
                       mqlarr<uchar> &result) {
  (void)key;  // "a key is not needed for hashing"
  if (method != CRYPT_HASH_SHA256 || data.d.empty()) {
    mql5shim::last_error() = ERR_INVALID_PARAMETER;
    return 0;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.d.data(), data.d.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    mql5shim::last_error() = ERR_INTERNAL_ERROR;
    return 0;
  }
  result.d.assign(md, md + len);
  return (int)len;
}

// ---------------------------------------------------------------- time and randomness
struct MqlDateTime {
  int year = 1970, mon = 1, day = 1, hour = 0, min = 0, sec = 0, day_of_week = 4, day_of_year = 0;
};
inline datetime TimeGMT() { return (datetime)std::time(nullptr); }
inline datetime TimeLocal() { return (datetime)std::time(nullptr); }  // machines here run on UTC
inline datetime TimeCurrent() { return (datetime)std::time(nullptr); }
inline datetime TimeTradeServer() { return (datetime)std::time(nullptr); }
inline bool TimeToStruct(datetime t, MqlDateTime &out) {
  std::time_t tt = (std::time_t)t;
  std::tm tm;
  if (!gmtime_r(&tt, &tm)) return false;
  out.year = tm.tm_year + 1900;
  out.mon = tm.tm_mon + 1;
  out.day = tm.tm_mday;
  out.hour = tm.tm_hour;
  out.min = tm.tm_min;
  out.sec = tm.tm_sec;
  out.day_of_week = tm.tm_wday;
  out.day_of_year = tm.tm_yday;
  return true;
}
namespace mql5shim {
inline std::chrono::steady_clock::time_point started() {
  static const auto t0 = std::chrono::steady_clock::now();
  return t0;
}
inline int &rand_seed() {
  static int seed = 1;
  return seed;
}
}  // namespace mql5shim
inline uint GetTickCount() {
  static const auto t0 = std::chrono::steady_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return (uint)ms.count();
}
inline ulong GetMicrosecondCount() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  mql5shim::started());
  return (ulong)us.count();
}
inline void MathSrand(int seed) { mql5shim::rand_seed() = seed; }
inline int MathRand() {  // the LCG the MQL5 book documents
  uint s = (uint)mql5shim::rand_seed() * 214013u + 2531011u;
  mql5shim::rand_seed() = (int)s;
  return (int)((s >> 16) & 0x7FFF);
}
inline void Sleep(int ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}
inline bool IsStopped() { return false; }

// ---------------------------------------------------------------- terminal global variables
// A map; with TG_SHIM_GLOBALS=<file> it is loaded from and written to that file, so a test can stop a
// program and start it again ("a terminal restart") with the same globals.
namespace mql5shim {
inline std::map<std::string, double> &globals() {
  static std::map<std::string, double> g;
  static bool loaded = false;
  if (!loaded) {
    loaded = true;
    const char *path = std::getenv("TG_SHIM_GLOBALS");
    if (path) {
      std::ifstream in(path);
      std::string name;
      double value;
      while (in >> name >> value) g[name] = value;
    }
  }
  return g;
}
inline void save_globals() {
  const char *path = std::getenv("TG_SHIM_GLOBALS");
  if (!path) return;
  std::string tmp = std::string(path) + ".tmp";
  {
    std::ofstream out(tmp);
    out.precision(17);
    for (auto &kv : globals()) out << kv.first << ' ' << kv.second << '\n';
  }
  std::rename(tmp.c_str(), path);
}
}  // namespace mql5shim
inline datetime GlobalVariableSet(const string &name, double value) {
  if (name.std().empty() || name.std().size() > 63 || name.std().find_first_of(" \t\n") != std::string::npos) {
    mql5shim::last_error() = ERR_INVALID_PARAMETER;
    return 0;
  }
  mql5shim::globals()[name.std()] = value;
  mql5shim::save_globals();
  return TimeLocal();
}
inline bool GlobalVariableCheck(const string &name) { return mql5shim::globals().count(name.std()) > 0; }
inline bool GlobalVariableGet(const string &name, double &value) {
  auto it = mql5shim::globals().find(name.std());
  if (it == mql5shim::globals().end()) {
    mql5shim::last_error() = ERR_GLOBALVARIABLE_NOT_FOUND;
    return false;
  }
  value = it->second;
  return true;
}
inline double GlobalVariableGet(const string &name) {
  double v = 0;
  GlobalVariableGet(name, v);
  return v;
}
inline bool GlobalVariableDel(const string &name) {
  bool had = mql5shim::globals().erase(name.std()) > 0;
  mql5shim::save_globals();
  return had;
}
inline void GlobalVariablesFlush() { mql5shim::save_globals(); }

// ---------------------------------------------------------------- WebRequest (plain HTTP/1.1)
namespace mql5shim {
struct Url {
  std::string host, port, path;
};
inline bool parse_url(const std::string &url, Url &u) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;  // https is the terminal's job
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos) {
    u.host = hostport.substr(0, colon);
    u.port = hostport.substr(colon + 1);
  } else {
    u.host = hostport;
    u.port = "80";
  }
  return !u.host.empty() && !u.port.empty();
}
inline long ms_left(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
      .count();
}
// 0 ok, else the MQL5 error
inline int connect_to(const Url &u, std::chrono::steady_clock::time_point deadline, int &fd) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res) != 0 || !res)
    return ERR_WEBREQUEST_INVALID_ADDRESS;
  int err = ERR_WEBREQUEST_CONNECT_FAILED;
  for (addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      long left = ms_left(deadline);
      rc = left > 0 ? poll(&p, 1, (int)left) : 0;
      if (rc == 0) err = ERR_WEBREQUEST_TIMEOUT;
      int soerr = 0;
      socklen_t len = sizeof soerr;
      rc = (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0) ? 0 : -1;
    }
    if (rc == 0) {
      freeaddrinfo(res);
      return 0;
    }
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return err;
}
inline int send_all(int fd, const std::string &data, std::chrono::steady_clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    pollfd p{fd, POLLOUT, 0};
    long left = ms_left(deadline);
    if (left <= 0 || poll(&p, 1, (int)left) != 1) return ERR_WEBREQUEST_TIMEOUT;
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return ERR_WEBREQUEST_REQUEST_FAILED;
    sent += (size_t)n;
  }
  return 0;
}
inline std::string lower(std::string s) {
  for (auto &c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}
// Reads the whole answer (Content-Length, chunked, or until close); 0 ok, else the MQL5 error.
inline int read_answer(int fd, std::chrono::steady_clock::time_point deadline, int &status,
                       std::string &headers, std::string &body) {
  std::string buf;
  size_t head_end = std::string::npos;
  long content_length = -1;
  bool chunked = false;
  char tmp[16384];
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = buf.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = buf.substr(0, head_end);
        size_t eol = head.find("\r\n");
        std::string status_line = head.substr(0, eol);
        if (std::sscanf(status_line.c_str(), "HTTP/%*d.%*d %d", &status) != 1)
          return ERR_WEBREQUEST_REQUEST_FAILED;
        headers = eol == std::string::npos ? "" : head.substr(eol + 2) + "\r\n";
        std::istringstream lines(headers);
        std::string line;
        while (std::getline(lines, line)) {
          std::string l = lower(line);
          if (l.rfind("content-length:", 0) == 0) content_length = std::atol(l.c_str() + 15);
          if (l.rfind("transfer-encoding:", 0) == 0 && l.find("chunked") != std::string::npos) chunked = true;
        }
      }
    }
    if (head_end != std::string::npos) {
      std::string rest = buf.substr(head_end + 4);
      if (!chunked && content_length >= 0 && (long)rest.size() >= content_length) {
        body = rest.substr(0, (size_t)content_length);
        return 0;
      }
      if (chunked) {
        std::string out;
        size_t pos = 0;
        bool complete = false;
        for (;;) {
          size_t le = rest.find("\r\n", pos);
          if (le == std::string::npos) break;
          long size = std::strtol(rest.substr(pos, le - pos).c_str(), nullptr, 16);
          if (size == 0) {
            complete = true;
            break;
          }
          if (rest.size() < le + 2 + (size_t)size + 2) break;
          out += rest.substr(le + 2, (size_t)size);
          pos = le + 2 + (size_t)size + 2;
        }
        if (complete) {
          body = out;
          return 0;
        }
      }
    }
    pollfd p{fd, POLLIN, 0};
    long left = ms_left(deadline);
    if (left <= 0 || poll(&p, 1, (int)left) != 1) return ERR_WEBREQUEST_TIMEOUT;
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n < 0) return ERR_WEBREQUEST_REQUEST_FAILED;
    if (n == 0) {  // closed: an answer without length ends here
      if (head_end == std::string::npos || chunked || content_length >= 0) return ERR_WEBREQUEST_REQUEST_FAILED;
      body = buf.substr(head_end + 4);
      return 0;
    }
    buf.append(tmp, (size_t)n);
  }
}
}  // namespace mql5shim

// The HTTP status, or -1 with _LastError 5200 (bad URL), 5201 (connect), 5202 (timeout), 5203 (request).
// `headers` are "Name: value\r\n" lines; result_headers come back the same way, without the status line.
inline int WebRequest(const string &method, const string &url, const string &headers, int timeout,
                      const mqlarr<char> &data, mqlarr<char> &result, string &result_headers) {
  using namespace mql5shim;
  Url u;
  if (!parse_url(url.std(), u)) {
    last_error() = ERR_WEBREQUEST_INVALID_ADDRESS;
    return -1;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout > 0 ? timeout : 5000);
  int fd = -1;
  int err = connect_to(u, deadline, fd);
  if (err != 0) {
    last_error() = err;
    return -1;
  }
  std::string req = method.std() + " " + u.path + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
                    "\r\nConnection: close\r\nContent-Length: " + std::to_string(data.d.size()) + "\r\n" +
                    headers.std();
  if (!headers.std().empty() && headers.std().size() >= 2 &&
      headers.std().compare(headers.std().size() - 2, 2, "\r\n") != 0)
    req += "\r\n";
  req += "\r\n";
  req.append(data.d.begin(), data.d.end());
  int status = 0;
  std::string head, body;
  err = send_all(fd, req, deadline);
  if (err == 0) err = read_answer(fd, deadline, status, head, body);
  close(fd);
  if (err != 0) {
    last_error() = err;
    return -1;
  }
  result.d.assign(body.begin(), body.end());
  result_headers = string(head);
  return status;
}

#endif  // TG_MQL5_SHIM_HPP
