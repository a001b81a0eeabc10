// TradeGuard shared core: a JSON writer (strings escaped per RFC 8259 on their UTF-8 bytes, decimals as
// strings) and a small reader (a flat token list; numbers are kept as their text) for the server's answers.
// Shared subset of MQL5 (ea/README.md): compiles in MetaEditor and, with ea/shim/mql5_shim.hpp, in g++.
#ifndef TG_JSON_MQH
#define TG_JSON_MQH

#define TG_JSON_MAX_DEPTH 32

//--- writer ----------------------------------------------------------------------------------------
struct TgJson
  {
   Bytes             out;    // the document so far (UTF-8, no terminating zero)
   int               len;    // bytes used in out.v (out.v may be larger: reserved room)
   bool              comma;  // the next value or key needs a ',' first
  };

void TgJsonReset(TgJson &j)
  {
   ArrayFree(j.out.v);
   j.len = 0;
   j.comma = false;
  }

void TgJsonByte(TgJson &j, const int c)
  {
   if(j.len >= ArraySize(j.out.v))
      ArrayResize(j.out.v, j.len + 1, 4096);
   j.out.v[j.len] = (uchar)c;
   j.len++;
  }

// Appends raw text (no escaping).
void TgJsonRaw(TgJson &j, const string text)
  {
   Bytes b;
   int n = TgUtf8(text, b);
   for(int i = 0; i < n; i++)
      TgJsonByte(j, b.v[i]);
  }

void TgJsonSep(TgJson &j)
  {
   if(j.comma)
      TgJsonByte(j, ',');
   j.comma = true;
  }

// A JSON string literal: '"' and '\' escaped, bytes below 0x20 as \n \r \t \b \f or \u00XX, others as is.
void TgJsonQuoted(TgJson &j, const string s)
  {
   string hex = "0123456789abcdef";
   Bytes h;
   TgUtf8(hex, h);
   Bytes b;
   int n = TgUtf8(s, b);
   TgJsonByte(j, '"');
   for(int i = 0; i < n; i++)
     {
      int c = b.v[i];
      if(c == 0)
         continue;  // MQL5 strings hold no NUL; the server refuses it
      if(c == '"' || c == '\\')
        {
         TgJsonByte(j, '\\');
         TgJsonByte(j, c);
        }
      else
         if(c == '\n')
            TgJsonRaw(j, "\\n");
         else
            if(c == '\r')
               TgJsonRaw(j, "\\r");
            else
               if(c == '\t')
                  TgJsonRaw(j, "\\t");
               else
                  if(c < 0x20 || c == 0x7f)
                    {
                     TgJsonRaw(j, "\\u00");
                     TgJsonByte(j, h.v[c >> 4]);
                     TgJsonByte(j, h.v[c & 15]);
                    }
                  else
                     TgJsonByte(j, c);
     }
   TgJsonByte(j, '"');
  }

void TgJsonBeginObject(TgJson &j) { TgJsonSep(j); TgJsonByte(j, '{'); j.comma = false; }
void TgJsonEndObject(TgJson &j)   { TgJsonByte(j, '}'); j.comma = true; }
void TgJsonBeginArray(TgJson &j)  { TgJsonSep(j); TgJsonByte(j, '['); j.comma = false; }
void TgJsonEndArray(TgJson &j)    { TgJsonByte(j, ']'); j.comma = true; }

// The key of the next member; the value call that follows writes no comma.
void TgJsonKey(TgJson &j, const string key)
  {
   TgJsonSep(j);
   TgJsonQuoted(j, key);
   TgJsonByte(j, ':');
   j.comma = false;
  }

void TgJsonString(TgJson &j, const string value) { TgJsonSep(j); TgJsonQuoted(j, value); }
void TgJsonInt(TgJson &j, const long value)      { TgJsonSep(j); TgJsonRaw(j, IntegerToString(value)); }
void TgJsonBool(TgJson &j, const bool value)
  {
   TgJsonSep(j);
   if(value)
      TgJsonRaw(j, "true");
   else
      TgJsonRaw(j, "false");
  }
void TgJsonNull(TgJson &j) { TgJsonSep(j); TgJsonRaw(j, "null"); }

// A decimal as text with `digits` places (0..8), never "-0.00".
string TgDecimalText(const double value, const int digits)
  {
   int d = digits;
   if(d < 0)
      d = 0;
   if(d > 8)
      d = 8;
   string text = DoubleToString(value, d);
   if(StringSubstr(text, 0, 1) == "-")
     {
      string rest = StringSubstr(text, 1);
      StringReplace(rest, "0", "");
      StringReplace(rest, ".", "");
      if(StringLen(rest) == 0)
         text = StringSubstr(text, 1);
     }
   return text;
  }

// A decimal as a JSON string ("1.08550"), as BRIDGE.md wants money, prices and volumes.
void TgJsonDecimal(TgJson &j, const double value, const int digits)
  {
   TgJsonString(j, TgDecimalText(value, digits));
  }

// The finished document as bytes (exactly j.len of them).
void TgJsonBytes(const TgJson &j, Bytes &out)
  {
   ArrayFree(out.v);
   ArrayResize(out.v, j.len);
   if(j.len > 0)
      ArrayCopy(out.v, j.out.v, 0, 0, j.len);
  }

//--- reader ----------------------------------------------------------------------------------------
#define TG_JSON_OBJECT 1
#define TG_JSON_ARRAY  2
#define TG_JSON_STRING 3
#define TG_JSON_NUMBER 4
#define TG_JSON_TRUE   5
#define TG_JSON_FALSE  6
#define TG_JSON_NULL   7

struct TgJsonTok
  {
   int               kind;    // TG_JSON_*
   int               start;   // first byte (for a string: after the opening quote)
   int               end;     // one past the last byte (for a string: the closing quote)
   int               count;   // members of an object (key+value pairs) or elements of an array
   int               skip;    // the index of the first token after this one's subtree
  };

struct TgJsonDoc
  {
   Bytes             src;
   TG_ARRAY(TgJsonTok, t);
   int               n;       // tokens used
   int               pos;     // parse position
   string            error;   // why the parse failed
  };

int TgJsonNewTok(TgJsonDoc &d, const int kind, const int start)
  {
   if(d.n >= ArraySize(d.t))
      ArrayResize(d.t, d.n + 1, 256);
   d.t[d.n].kind = kind;
   d.t[d.n].start = start;
   d.t[d.n].end = start;
   d.t[d.n].count = 0;
   d.t[d.n].skip = d.n + 1;
   d.n++;
   return d.n - 1;
  }

void TgJsonSpace(TgJsonDoc &d)
  {
   int size = ArraySize(d.src.v);
   while(d.pos < size)
     {
      int c = d.src.v[d.pos];
      if(c != ' ' && c != '\t' && c != '\n' && c != '\r')
         break;
      d.pos++;
     }
  }

bool TgJsonFail(TgJsonDoc &d, const string why)
  {
   if(StringLen(d.error) == 0)
      d.error = why + " at byte " + IntegerToString(d.pos);
   return false;
  }

bool TgJsonLiteral(TgJsonDoc &d, const string word, const int kind)
  {
   Bytes w;
   int n = TgUtf8(word, w);
   if(d.pos + n > ArraySize(d.src.v))
      return TgJsonFail(d, "bad literal");
   for(int i = 0; i < n; i++)
      if(d.src.v[d.pos + i] != w.v[i])
         return TgJsonFail(d, "bad literal");
   int k = TgJsonNewTok(d, kind, d.pos);
   d.pos += n;
   d.t[k].end = d.pos;
   return true;
  }

bool TgJsonStringTok(TgJsonDoc &d)
  {
   int size = ArraySize(d.src.v);
   int k = TgJsonNewTok(d, TG_JSON_STRING, d.pos + 1);
   d.pos++;
   while(d.pos < size)
     {
      int c = d.src.v[d.pos];
      if(c == '"')
        {
         d.t[k].end = d.pos;
         d.pos++;
         return true;
        }
      if(c < 0x20)
         return TgJsonFail(d, "control character in string");
      if(c == '\\')
         d.pos++;
      d.pos++;
     }
   return TgJsonFail(d, "unterminated string");
  }

bool TgJsonNumberTok(TgJsonDoc &d)
  {
   int size = ArraySize(d.src.v);
   int k = TgJsonNewTok(d, TG_JSON_NUMBER, d.pos);
   while(d.pos < size)
     {
      int c = d.src.v[d.pos];
      if(!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'))
         break;
      d.pos++;
     }
   d.t[k].end = d.pos;
   if(d.t[k].end == d.t[k].start)
      return TgJsonFail(d, "unexpected character");
   return true;
  }

bool TgJsonValue(TgJsonDoc &d, const int depth)
  {
   if(depth > TG_JSON_MAX_DEPTH)
      return TgJsonFail(d, "nested too deep");
   TgJsonSpace(d);
   if(d.pos >= ArraySize(d.src.v))
      return TgJsonFail(d, "unexpected end");
   int c = d.src.v[d.pos];
   if(c == '"')
      return TgJsonStringTok(d);
   if(c == 't')
      return TgJsonLiteral(d, "true", TG_JSON_TRUE);
   if(c == 'f')
      return TgJsonLiteral(d, "false", TG_JSON_FALSE);
   if(c == 'n')
      return TgJsonLiteral(d, "null", TG_JSON_NULL);
   if(c != '{' && c != '[')
      return TgJsonNumberTok(d);
   bool isObject = (c == '{');
   int closer = ']';
   int kind = TG_JSON_ARRAY;
   if(isObject)
     {
      closer = '}';
      kind = TG_JSON_OBJECT;
     }
   int k = TgJsonNewTok(d, kind, d.pos);
   d.pos++;
   TgJsonSpace(d);
   if(d.pos < ArraySize(d.src.v) && d.src.v[d.pos] == closer)
     {
      d.pos++;
      d.t[k].end = d.pos;
      d.t[k].skip = d.n;
      return true;
     }
   for(int guard = 0; guard < ArraySize(d.src.v); guard++)  // every member consumes bytes: bounded
     {
      if(isObject)
        {
         TgJsonSpace(d);
         if(d.pos >= ArraySize(d.src.v) || d.src.v[d.pos] != '"')
            return TgJsonFail(d, "expected a key");
         if(!TgJsonStringTok(d))
            return false;
         TgJsonSpace(d);
         if(d.pos >= ArraySize(d.src.v) || d.src.v[d.pos] != ':')
            return TgJsonFail(d, "expected ':'");
         d.pos++;
        }
      if(!TgJsonValue(d, depth + 1))
         return false;
      d.t[k].count++;
      TgJsonSpace(d);
      if(d.pos >= ArraySize(d.src.v))
         return TgJsonFail(d, "unexpected end");
      int sep = d.src.v[d.pos];
      d.pos++;
      if(sep == closer)
        {
         d.t[k].end = d.pos;
         d.t[k].skip = d.n;
         return true;
        }
      if(sep != ',')
         return TgJsonFail(d, "expected ',' or a closing bracket");
     }
   return TgJsonFail(d, "runaway container");
  }

// Parses text (UTF-8 bytes); token 0 is the root. False with d.error on malformed input.
bool TgJsonParse(const Bytes &text, TgJsonDoc &d)
  {
   ArrayFree(d.src.v);
   ArrayCopy(d.src.v, text.v);
   ArrayFree(d.t);
   d.n = 0;
   d.pos = 0;
   d.error = "";
   if(!TgJsonValue(d, 0))
      return false;
   TgJsonSpace(d);
   if(d.pos != ArraySize(d.src.v))
      return TgJsonFail(d, "trailing characters");
   return true;
  }

int TgJsonKind(const TgJsonDoc &d, const int node)
  {
   if(node < 0 || node >= d.n)
      return 0;
   return d.t[node].kind;
  }

// Members of an object or elements of an array (0 for anything else or -1).
int TgJsonCount(const TgJsonDoc &d, const int node)
  {
   int kind = TgJsonKind(d, node);
   if(kind != TG_JSON_OBJECT && kind != TG_JSON_ARRAY)
      return 0;
   return d.t[node].count;
  }

// The i-th element of an array, or -1.
int TgJsonAt(const TgJsonDoc &d, const int node, const int index)
  {
   if(TgJsonKind(d, node) != TG_JSON_ARRAY || index < 0 || index >= d.t[node].count)
      return -1;
   int k = node + 1;
   for(int i = 0; i < index; i++)
      k = d.t[k].skip;
   return k;
  }

void TgJsonAppendUtf8(Bytes &out, int &len, const int cp)
  {
   ArrayResize(out.v, len + 4, 256);
   if(cp < 0x80)
      out.v[len++] = (uchar)cp;
   else
      if(cp < 0x800)
        {
         out.v[len++] = (uchar)(0xC0 | (cp >> 6));
         out.v[len++] = (uchar)(0x80 | (cp & 0x3F));
        }
      else
         if(cp < 0x10000)
           {
            out.v[len++] = (uchar)(0xE0 | (cp >> 12));
            out.v[len++] = (uchar)(0x80 | ((cp >> 6) & 0x3F));
            out.v[len++] = (uchar)(0x80 | (cp & 0x3F));
           }
         else
           {
            out.v[len++] = (uchar)(0xF0 | (cp >> 18));
            out.v[len++] = (uchar)(0x80 | ((cp >> 12) & 0x3F));
            out.v[len++] = (uchar)(0x80 | ((cp >> 6) & 0x3F));
            out.v[len++] = (uchar)(0x80 | (cp & 0x3F));
           }
   ArrayResize(out.v, len);
  }

int TgJsonHex4(const TgJsonDoc &d, const int at)
  {
   if(at + 4 > ArraySize(d.src.v))
      return -1;
   int v = 0;
   for(int i = 0; i < 4; i++)
     {
      int h = TgHexDigit(d.src.v[at + i]);
      if(h < 0)
         return -1;
      v = v * 16 + h;
     }
   return v;
  }

// The bytes of a string token with its escapes decoded (\uXXXX, surrogate pairs → UTF-8); of any other
// scalar, its text ("1.0855", "true", "null"); of a container, nothing.
int TgJsonBytesOf(const TgJsonDoc &d, const int node, Bytes &out)
  {
   ArrayFree(out.v);
   int kind = TgJsonKind(d, node);
   if(kind == 0 || kind == TG_JSON_OBJECT || kind == TG_JSON_ARRAY)
      return 0;
   int len = 0;
   int i = d.t[node].start;
   int end = d.t[node].end;
   while(i < end)
     {
      int c = d.src.v[i];
      if(kind != TG_JSON_STRING || c != '\\' || i + 1 >= end)
        {
         ArrayResize(out.v, len + 1, 256);
         out.v[len++] = (uchar)c;
         i++;
         continue;
        }
      int e = d.src.v[i + 1];
      i += 2;
      int cp = e;
      if(e == 'n')
         cp = '\n';
      if(e == 'r')
         cp = '\r';
      if(e == 't')
         cp = '\t';
      if(e == 'b')
         cp = 8;
      if(e == 'f')
         cp = 12;
      if(e == 'u')
        {
         cp = TgJsonHex4(d, i);
         if(cp < 0)
            cp = 0xFFFD;
         else
            i += 4;
         if(cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= end && d.src.v[i] == '\\' && d.src.v[i + 1] == 'u')
           {
            int lo = TgJsonHex4(d, i + 2);
            if(lo >= 0xDC00 && lo <= 0xDFFF)
              {
               cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
               i += 6;
              }
           }
         if(cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;
        }
      TgJsonAppendUtf8(out, len, cp);
     }
   ArrayResize(out.v, len);
   return len;
  }

// A scalar as text (see TgJsonBytesOf); "" for a container or -1. A decoded \u0000 ends the text.
string TgJsonText(const TgJsonDoc &d, const int node)
  {
   Bytes b;
   int n = TgJsonBytesOf(d, node, b);
   if(n == 0)
      return "";
   return CharArrayToString(b.v, 0, n, CP_UTF8);
  }

// The value of `key` in an object, or -1.
int TgJsonMember(const TgJsonDoc &d, const int node, const string key)
  {
   if(TgJsonKind(d, node) != TG_JSON_OBJECT)
      return -1;
   int k = node + 1;
   for(int i = 0; i < d.t[node].count; i++)
     {
      int value = k + 1;
      if(TgJsonText(d, k) == key)
         return value;
      k = d.t[value].skip;
     }
   return -1;
  }

// The node at a dotted path from node: "error.code", "commands.0.id"; "" is node itself; -1 if absent.
int TgJsonPath(const TgJsonDoc &d, const int node, const string path)
  {
   int at = node;
   int len = StringLen(path);
   int from = 0;
   while(at >= 0 && from < len)  // every turn moves `from` past one part: bounded
     {
      int dot = StringFind(path, ".", from);
      if(dot < 0)
         dot = len;
      string part = StringSubstr(path, from, dot - from);
      from = dot + 1;
      if(TgJsonKind(d, at) == TG_JSON_ARRAY)
         at = TgJsonAt(d, at, (int)StringToInteger(part));
      else
         at = TgJsonMember(d, at, part);
     }
   return at;
  }

// The text at a path (see TgJsonText), or fallback when the path is absent or null.
string TgJsonGet(const TgJsonDoc &d, const int node, const string path, const string fallback)
  {
   int at = TgJsonPath(d, node, path);
   int kind = TgJsonKind(d, at);
   if(kind == 0 || kind == TG_JSON_NULL)
      return fallback;
   return TgJsonText(d, at);
  }

#endif
