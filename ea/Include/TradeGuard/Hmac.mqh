// TradeGuard shared core: SHA-256 (CryptEncode), HMAC-SHA256 (RFC 2104), hex and UTF-8 bytes.
// Shared subset of MQL5 (ea/README.md): compiles in MetaEditor and, with ea/shim/mql5_shim.hpp, in g++.
#ifndef TG_HMAC_MQH
#define TG_HMAC_MQH

#define TG_SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define TG_SHA256_BLOCK 64

// The UTF-8 bytes of s, without the terminating zero; returns their number.
int TgUtf8(const string s, Bytes &out)
  {
   ArrayFree(out.v);
   int n = StringToCharArray(s, out.v, 0, WHOLE_ARRAY, CP_UTF8);  // copies the terminating 0
   if(n > 0 && out.v[n - 1] == 0)
      n--;
   if(n < 0)
      n = 0;
   ArrayResize(out.v, n);
   return n;
  }

// Lowercase hex of the bytes.
string TgHex(const Bytes &b)
  {
   string digits = "0123456789abcdef";
   Bytes d;
   TgUtf8(digits, d);
   int n = ArraySize(b.v);
   Bytes out;
   ArrayResize(out.v, 2 * n);
   for(int i = 0; i < n; i++)
     {
      out.v[2 * i] = d.v[b.v[i] >> 4];
      out.v[2 * i + 1] = d.v[b.v[i] & 15];
     }
   if(n == 0)
      return "";
   return CharArrayToString(out.v, 0, 2 * n, CP_UTF8);
  }

int TgHexDigit(const int c)
  {
   if(c >= '0' && c <= '9')
      return c - '0';
   if(c >= 'a' && c <= 'f')
      return c - 'a' + 10;
   if(c >= 'A' && c <= 'F')
      return c - 'A' + 10;
   return -1;
  }

// Decodes hex (either case) into bytes; false (and out empty) for an odd length or a non-hex character.
bool TgFromHex(const string hex, Bytes &out)
  {
   Bytes text;
   int n = TgUtf8(hex, text);
   ArrayFree(out.v);
   if(n % 2 != 0)
      return false;
   ArrayResize(out.v, n / 2);
   for(int i = 0; i < n / 2; i++)
     {
      int hi = TgHexDigit(text.v[2 * i]);
      int lo = TgHexDigit(text.v[2 * i + 1]);
      if(hi < 0 || lo < 0)
        {
         ArrayFree(out.v);
         return false;
        }
      out.v[i] = (uchar)(hi * 16 + lo);
     }
   return true;
  }

// SHA-256 of data into out (32 bytes). The empty input gets its known digest: CryptEncode may refuse it.
bool TgSha256(const Bytes &data, Bytes &out)
  {
   if(ArraySize(data.v) == 0)
      return TgFromHex(TG_SHA256_EMPTY, out);
   Bytes key;
   ArrayFree(out.v);
   ResetLastError();
   int n = CryptEncode(CRYPT_HASH_SHA256, data.v, key.v, out.v);
   return n == 32 && ArraySize(out.v) == 32;
  }

// HMAC-SHA256 (RFC 2104): 64-byte blocks, a longer key is hashed first, then zero-padded.
bool TgHmacSha256(const Bytes &key, const Bytes &message, Bytes &out)
  {
   Bytes k;
   if(ArraySize(key.v) > TG_SHA256_BLOCK)
     {
      if(!TgSha256(key, k))
         return false;
     }
   else
      ArrayCopy(k.v, key.v);
   int klen = ArraySize(k.v);
   int mlen = ArraySize(message.v);
   Bytes inner;
   ArrayResize(inner.v, TG_SHA256_BLOCK + mlen);
   Bytes outer;
   ArrayResize(outer.v, TG_SHA256_BLOCK + 32);
   for(int i = 0; i < TG_SHA256_BLOCK; i++)
     {
      uchar kb = 0;
      if(i < klen)
         kb = k.v[i];
      inner.v[i] = (uchar)(kb ^ 0x36);
      outer.v[i] = (uchar)(kb ^ 0x5c);
     }
   for(int i = 0; i < mlen; i++)
      inner.v[TG_SHA256_BLOCK + i] = message.v[i];
   Bytes innerHash;
   if(!TgSha256(inner, innerHash))
      return false;
   for(int i = 0; i < 32; i++)
      outer.v[TG_SHA256_BLOCK + i] = innerHash.v[i];
   return TgSha256(outer, out);
  }

#endif
