// Checks the EA's own HMAC-SHA256 and request signing (Hmac.mqh, Wire.mqh) against the shared vectors
// (tests/data/ea_vectors.json: RFC 4231 and signatures made by core/bridge/signing.py), reading the file
// with the EA's own JSON parser (Json.mqh). One line per case; exit status 1 on any mismatch.
// Usage: vectors <path to ea_vectors.json>
#include "mql5_shim.hpp"

#include "TradeGuard/Hmac.mqh"
#include "TradeGuard/Json.mqh"
#include "TradeGuard/Wire.mqh"

#include <fstream>
#include <iterator>
#include <set>

static int failures = 0;

static void check(const string &name, const string &got, const string &want) {
  if (got == want) {
    Print("ok   ", name);
  } else {
    Print("FAIL ", name, ": got ", got, " want ", want);
    failures++;
  }
}

static bool read_file(const char *path, Bytes &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ArrayResize(out.v, (int)data.size());
  for (size_t i = 0; i < data.size(); i++) out.v[(long)i] = (uchar)data[i];
  return true;
}

// Calls check_case on every element of the array `name`; returns how many there were.
static int each(const TgJsonDoc &d, const char *name, void (*check_case)(const TgJsonDoc &, int)) {
  int list = TgJsonPath(d, 0, name);
  int n = TgJsonCount(d, list);
  for (int i = 0; i < n; i++) check_case(d, TgJsonAt(d, list, i));
  return n;
}

static void check_hmac(const TgJsonDoc &d, int c) {
  Bytes key, data, mac;
  TgFromHex(TgJsonGet(d, c, "key_hex", ""), key);
  TgFromHex(TgJsonGet(d, c, "data_hex", ""), data);
  TgHmacSha256(key, data, mac);
  string got = TgHex(mac);
  int truncate = (int)StringToInteger(TgJsonGet(d, c, "truncate_bytes", "0"));
  if (truncate > 0) got = StringSubstr(got, 0, 2 * truncate);
  check(TgJsonGet(d, c, "name", "?"), got, TgJsonGet(d, c, "mac_hex", ""));
}

static void check_signature(const TgJsonDoc &d, int c) {
  string name = TgJsonGet(d, c, "name", "?");
  Bytes body;
  TgUtf8(TgJsonGet(d, c, "body", ""), body);
  Bytes hash;
  TgSha256(body, hash);
  string method = TgJsonGet(d, c, "method", ""), path = TgJsonGet(d, c, "path_qs", "");
  string ts = TgJsonGet(d, c, "timestamp", ""), nonce = TgJsonGet(d, c, "nonce", "");
  check(name + " [body sha256]", TgHex(hash), TgJsonGet(d, c, "body_sha256", ""));
  check(name + " [canonical]", TgCanonical(method, path, ts, nonce, body), TgJsonGet(d, c, "canonical", ""));
  check(name, TgSignature(TgJsonGet(d, c, "secret_hex", ""), method, path, ts, nonce, body),
        TgJsonGet(d, c, "signature", ""));
}

// BRIDGE.md: 16 to 64 characters of [A-Za-z0-9_-], never reused.
static void check_nonces() {
  std::set<std::string> seen;
  bool shape = true;
  for (int i = 0; i < 10000; i++) {
    string nonce = TgNonce();
    const std::string &s = nonce.std();
    if (s.size() < 16 || s.size() > 64 || s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                              "0123456789_-") != std::string::npos)
      shape = false;
    seen.insert(s);
  }
  check("10000 nonces: shape", shape ? "ok" : "bad", "ok");
  check("10000 nonces: all different", IntegerToString((long)seen.size()), "10000");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    Print("usage: vectors <ea_vectors.json>");
    return 2;
  }
  Bytes text;
  if (!read_file(argv[1], text)) {
    Print("cannot read ", argv[1]);
    return 2;
  }
  TgJsonDoc d;
  if (!TgJsonParse(text, d)) {
    Print("FAIL parse: ", d.error);
    return 1;
  }
  int hmacs = each(d, "hmac_sha256", check_hmac);
  int signatures = each(d, "signatures", check_signature);
  check_nonces();
  if (hmacs < 7 || signatures < 10) {
    Print("FAIL too few vectors: ", hmacs, " HMAC, ", signatures, " signatures");
    failures++;
  }
  Print(failures == 0 ? "all vectors pass" : "MISMATCHES: ", failures == 0 ? "" : IntegerToString(failures));
  return failures == 0 ? 0 : 1;
}
