// TradeGuard shared core: the BRIDGE.md v1 wire. Canonical string and signature, nonce, signed headers,
// snapshot and ack JSON from plain structs, command parsing, Retry-After and error bodies.
// Shared subset of MQL5 (ea/README.md): compiles in MetaEditor and, with ea/shim/mql5_shim.hpp, in g++.
// Include order: Platform.mqh (or the shim), Hmac.mqh, Json.mqh, Wire.mqh.
#ifndef TG_WIRE_MQH
#define TG_WIRE_MQH

#define TG_MAGIC 7300
#define TG_COMMENT_MAX 64   // code points, as core/api/schemas.py counts them

//--- signing ---------------------------------------------------------------------------------------
// METHOD\nPATH_QS\nTIMESTAMP\nNONCE\nhex(sha256(body)), no trailing newline.
string TgCanonical(const string method, const string pathQs, const string timestamp, const string nonce,
                   const Bytes &body)
  {
   string m = method;
   StringToUpper(m);
   Bytes hash;
   string bodyHash = "";
   if(TgSha256(body, hash))
      bodyHash = TgHex(hash);
   return m + "\n" + pathQs + "\n" + timestamp + "\n" + nonce + "\n" + bodyHash;
  }

// Lowercase hex HMAC-SHA256 keyed with the hex-DECODED secret (32 bytes); "" if the secret is not hex.
string TgSignature(const string secretHex, const string method, const string pathQs, const string timestamp,
                   const string nonce, const Bytes &body)
  {
   Bytes key;
   if(!TgFromHex(secretHex, key) || ArraySize(key.v) == 0)
      return "";
   Bytes message;
   TgUtf8(TgCanonical(method, pathQs, timestamp, nonce, body), message);
   Bytes mac;
   if(!TgHmacSha256(key, message, mac))
      return "";
   return TgHex(mac);
  }

// 32 lowercase hex characters (within [A-Za-z0-9_-]{16,64}), different on every call: a hash of a
// per-run counter, the microsecond counter, both clocks and MathRand. Unique, not secret.
string TgNonce()
  {
   static long counter = 0;
   counter++;
   string seed = IntegerToString(counter) + "|" + IntegerToString((long)GetMicrosecondCount()) + "|" +
                 IntegerToString((long)TimeLocal()) + "|" + IntegerToString((long)TimeGMT()) + "|" +
                 IntegerToString((long)GetTickCount()) + "|" + IntegerToString(MathRand()) + "|" +
                 IntegerToString(MathRand()) + "|" + IntegerToString(MathRand());
   Bytes b;
   TgUtf8(seed, b);
   Bytes hash;
   TgSha256(b, hash);
   return StringSubstr(TgHex(hash), 0, 32);
  }

// The four X-TG headers as WebRequest wants them ("Name: value\r\n" each).
string TgHeaders(const string device, const string timestamp, const string nonce, const string signature)
  {
   return "X-TG-Device: " + device + "\r\n" + "X-TG-Timestamp: " + timestamp + "\r\n" + "X-TG-Nonce: " +
          nonce + "\r\n" + "X-TG-Signature: " + signature + "\r\n";
  }

//--- times -----------------------------------------------------------------------------------------
// ISO 8601 UTC from Unix seconds: 2026-11-27T21:00:00Z.
string TgIsoTime(const datetime utc)
  {
   MqlDateTime st;
   TimeToStruct(utc, st);
   return StringFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", st.year, st.mon, st.day, st.hour, st.min, st.sec);
  }

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
long TgDaysFromCivil(const int year, const int month, const int day)
  {
   int y = year;
   if(month <= 2)
      y--;
   int era = y / 400;
   if(y < 0 && y % 400 != 0)
      era--;
   int yoe = y - era * 400;
   int mp = (month + 9) % 12;
   int doy = (153 * mp + 2) / 5 + day - 1;
   int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
   return (long)era * 146097 + doe - 719468;
  }

int TgDigitsAt(const Bytes &b, const int at, const int count)
  {
   if(at + count > ArraySize(b.v))
      return -1;
   int v = 0;
   for(int i = 0; i < count; i++)
     {
      int c = b.v[at + i];
      if(c < '0' || c > '9')
         return -1;
      v = v * 10 + (c - '0');
     }
   return v;
  }

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)" (server_time), or -1.
long TgParseIsoMs(const string iso)
  {
   Bytes b;
   int n = TgUtf8(iso, b);
   if(n < 20)
      return -1;
   int year = TgDigitsAt(b, 0, 4), mon = TgDigitsAt(b, 5, 2), day = TgDigitsAt(b, 8, 2);
   int hour = TgDigitsAt(b, 11, 2), minute = TgDigitsAt(b, 14, 2), sec = TgDigitsAt(b, 17, 2);
   if(year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || minute < 0 || sec < 0)
      return -1;
   int i = 19;
   int ms = 0;
   if(i < n && b.v[i] == '.')
     {
      i++;
      int scale = 100;
      while(i < n && b.v[i] >= '0' && b.v[i] <= '9')
        {
         ms += (b.v[i] - '0') * scale;
         scale /= 10;
         i++;
        }
     }
   long offset = 0;
   if(i < n && (b.v[i] == '+' || b.v[i] == '-'))
     {
      int oh = TgDigitsAt(b, i + 1, 2), om = TgDigitsAt(b, i + 4, 2);
      if(oh < 0 || om < 0)
         return -1;
      offset = (long)(oh * 3600 + om * 60);
      if(b.v[i] == '-')
         offset = -offset;
     }
   else
      if(i >= n || (b.v[i] != 'Z' && b.v[i] != 'z'))
         return -1;
   long secs = TgDaysFromCivil(year, mon, day) * 86400 + hour * 3600 + minute * 60 + sec - offset;
   return secs * 1000 + ms;
  }

//--- MT5 enums → wire words (ENUM_DEAL_TYPE, ENUM_DEAL_ENTRY, ENUM_DEAL_REASON values) ---------------
string TgDealTypeName(const int dealType)
  {
   if(dealType == 0)
      return "buy";
   if(dealType == 1)
      return "sell";
   if(dealType == 2)
      return "balance";
   if(dealType == 3)
      return "credit";
   if(dealType >= 7 && dealType <= 11)
      return "commission";   // COMMISSION, _DAILY, _MONTHLY, _AGENT_DAILY, _AGENT_MONTHLY
   return "other";           // CHARGE, CORRECTION, BONUS, INTEREST, canceled, dividends, tax, ...
  }

string TgDealEntryName(const int entry)
  {
   if(entry == 1)
      return "out";
   if(entry == 2)
      return "inout";
   if(entry == 3)
      return "out_by";
   return "in";
  }

string TgDealReasonName(const int reason)
  {
   if(reason == 0)
      return "client";
   if(reason == 1)
      return "mobile";
   if(reason == 2)
      return "web";
   if(reason == 3)
      return "expert";
   if(reason == 4)
      return "sl";
   if(reason == 5)
      return "tp";
   if(reason == 6)
      return "so";
   return "other";           // ROLLOVER, VMARGIN, SPLIT, CORPORATE_ACTION, ...
  }

// s cut to at most maxPoints code points (never inside a UTF-8 sequence).
string TgClip(const string s, const int maxPoints)
  {
   Bytes b;
   int n = TgUtf8(s, b);
   int points = 0;
   for(int i = 0; i < n; i++)
     {
      if((b.v[i] & 0xC0) != 0x80)
        {
         if(points == maxPoints)
            return CharArrayToString(b.v, 0, i, CP_UTF8);
         points++;
        }
     }
   return s;
  }

//--- snapshot --------------------------------------------------------------------------------------
struct TgAccount
  {
   long              login;
   string            server;
   string            currency;
   int               money_digits;   // ACCOUNT_CURRENCY_DIGITS: balance, equity, profits, swaps
   double            balance;
   double            equity;
   double            margin;
   double            free_margin;
   long              leverage;
  };

struct TgPosition
  {
   ulong             ticket;
   string            symbol;
   string            side;           // "buy" | "sell"
   double            volume;
   int               volume_digits;  // from SYMBOL_VOLUME_STEP
   int               digits;         // SYMBOL_DIGITS: open_price, sl, tp, price
   double            open_price;
   datetime          open_time;      // UTC seconds
   double            sl;             // 0 = none → null
   double            tp;             // 0 = none → null
   double            price;
   double            swap;
   double            profit;
   long              magic;
   string            comment;
  };

struct TgDeal
  {
   ulong             ticket;
   ulong             position;
   string            symbol;         // "" for a balance or credit deal
   string            type;           // TgDealTypeName
   string            entry;          // TgDealEntryName
   string            reason;         // TgDealReasonName
   double            volume;
   int               volume_digits;
   int               digits;
   double            price;
   datetime          time;           // UTC seconds
   double            profit;
   double            commission;
   double            swap;
   long              magic;
   string            comment;
  };

struct TgQuote
  {
   string            symbol;
   int               digits;
   double            bid;
   double            ask;
   datetime          time;           // UTC seconds
  };

struct TgPositionList { TG_ARRAY(TgPosition, v); };
struct TgDealList     { TG_ARRAY(TgDeal, v); };
struct TgQuoteList    { TG_ARRAY(TgQuote, v); };

void TgJsonKeyString(TgJson &j, const string key, const string value)  { TgJsonKey(j, key); TgJsonString(j, value); }
void TgJsonKeyInt(TgJson &j, const string key, const long value)       { TgJsonKey(j, key); TgJsonInt(j, value); }
void TgJsonKeyDecimal(TgJson &j, const string key, const double value, const int digits)
  {
   TgJsonKey(j, key);
   TgJsonDecimal(j, value, digits);
  }
void TgJsonKeyPrice(TgJson &j, const string key, const double value, const int digits)  // 0 → null
  {
   TgJsonKey(j, key);
   if(value == 0.0)
      TgJsonNull(j);
   else
      TgJsonDecimal(j, value, digits);
  }

void TgAccountJson(TgJson &j, const TgAccount &a)
  {
   TgJsonBeginObject(j);
   TgJsonKeyInt(j, "login", a.login);
   TgJsonKeyString(j, "server", a.server);
   TgJsonKeyString(j, "currency", a.currency);
   TgJsonKeyDecimal(j, "balance", a.balance, a.money_digits);
   TgJsonKeyDecimal(j, "equity", a.equity, a.money_digits);
   TgJsonKeyDecimal(j, "margin", a.margin, a.money_digits);
   TgJsonKeyDecimal(j, "free_margin", a.free_margin, a.money_digits);
   TgJsonKeyInt(j, "leverage", a.leverage);
   TgJsonEndObject(j);
  }

void TgPositionJson(TgJson &j, const TgPosition &p, const int moneyDigits)
  {
   TgJsonBeginObject(j);
   TgJsonKeyInt(j, "ticket", (long)p.ticket);
   TgJsonKeyString(j, "symbol", p.symbol);
   TgJsonKeyString(j, "side", p.side);
   TgJsonKeyDecimal(j, "volume", p.volume, p.volume_digits);
   TgJsonKeyDecimal(j, "open_price", p.open_price, p.digits);
   TgJsonKeyString(j, "open_time", TgIsoTime(p.open_time));
   TgJsonKeyPrice(j, "sl", p.sl, p.digits);
   TgJsonKeyPrice(j, "tp", p.tp, p.digits);
   TgJsonKeyDecimal(j, "price", p.price, p.digits);
   TgJsonKeyDecimal(j, "swap", p.swap, moneyDigits);
   TgJsonKeyDecimal(j, "profit", p.profit, moneyDigits);
   TgJsonKeyInt(j, "magic", p.magic);
   TgJsonKeyString(j, "comment", TgClip(p.comment, TG_COMMENT_MAX));
   TgJsonEndObject(j);
  }

void TgDealJson(TgJson &j, const TgDeal &d, const int moneyDigits)
  {
   TgJsonBeginObject(j);
   TgJsonKeyInt(j, "ticket", (long)d.ticket);
   TgJsonKeyInt(j, "position", (long)d.position);
   TgJsonKeyString(j, "symbol", d.symbol);
   TgJsonKeyString(j, "type", d.type);
   TgJsonKeyString(j, "entry", d.entry);
   TgJsonKeyString(j, "reason", d.reason);
   TgJsonKeyDecimal(j, "volume", d.volume, d.volume_digits);
   TgJsonKeyDecimal(j, "price", d.price, d.digits);
   TgJsonKeyString(j, "time", TgIsoTime(d.time));
   TgJsonKeyDecimal(j, "profit", d.profit, moneyDigits);
   TgJsonKeyDecimal(j, "commission", d.commission, moneyDigits);
   TgJsonKeyDecimal(j, "swap", d.swap, moneyDigits);
   TgJsonKeyInt(j, "magic", d.magic);
   TgJsonKeyString(j, "comment", TgClip(d.comment, TG_COMMENT_MAX));
   TgJsonEndObject(j);
  }

void TgQuoteJson(TgJson &j, const TgQuote &q)
  {
   TgJsonBeginObject(j);
   TgJsonKeyString(j, "symbol", q.symbol);
   TgJsonKeyDecimal(j, "bid", q.bid, q.digits);
   TgJsonKeyDecimal(j, "ask", q.ask, q.digits);
   TgJsonKeyString(j, "time", TgIsoTime(q.time));
   TgJsonEndObject(j);
  }

// The POST /v1/bridge/snapshot body. The caller keeps within 500 positions, 1,000 deals, 200 quotes and
// leaves out quotes whose bid or ask is 0.
void TgSnapshotJson(const long seq, const datetime now, const TgAccount &account, const TgPositionList &positions,
                    const TgDealList &deals, const TgQuoteList &quotes, Bytes &out)
  {
   TgJson j;
   TgJsonReset(j);
   TgJsonBeginObject(j);
   TgJsonKeyInt(j, "seq", seq);
   TgJsonKeyString(j, "time", TgIsoTime(now));
   TgJsonKey(j, "account");
   TgAccountJson(j, account);
   TgJsonKey(j, "positions");
   TgJsonBeginArray(j);
   for(int i = 0; i < ArraySize(positions.v); i++)
      TgPositionJson(j, positions.v[i], account.money_digits);
   TgJsonEndArray(j);
   TgJsonKey(j, "deals");
   TgJsonBeginArray(j);
   for(int i = 0; i < ArraySize(deals.v); i++)
      TgDealJson(j, deals.v[i], account.money_digits);
   TgJsonEndArray(j);
   TgJsonKey(j, "quotes");
   TgJsonBeginArray(j);
   for(int i = 0; i < ArraySize(quotes.v); i++)
      TgQuoteJson(j, quotes.v[i]);
   TgJsonEndArray(j);
   TgJsonEndObject(j);
   TgJsonBytes(j, out);
  }

//--- commands --------------------------------------------------------------------------------------
struct TgCommand
  {
   string            id;           // cmd_[A-Za-z0-9_-]{1,36}: safe in the ack path as is
   string            type;         // close_all | close_position | open_position | lock | unlock
   string            reason;
   ulong             ticket;       // close_position
   bool              has_volume;
   double            volume;       // close_position (optional: whole position), open_position
   string            volume_text;  // as sent (a JSON number or a decimal string)
   string            symbol;       // open_position
   string            side;         // open_position: buy | sell
   double            sl;           // open_position, 0 = none
   double            tp;           // open_position, 0 = none
   string            signal_id;    // open_position: comment "tg:" + signal_id
   string            created_at;
   string            expires_at;
  };

struct TgCommandList { TG_ARRAY(TgCommand, v); };

void TgCommandFromJson(const TgJsonDoc &d, const int node, TgCommand &c)
  {
   c.id = TgJsonGet(d, node, "id", "");
   c.type = TgJsonGet(d, node, "type", "");
   c.reason = TgJsonGet(d, node, "reason", "");
   c.ticket = (ulong)StringToInteger(TgJsonGet(d, node, "ticket", "0"));
   c.volume_text = TgJsonGet(d, node, "volume", "");
   c.has_volume = StringLen(c.volume_text) > 0;
   c.volume = 0.0;
   if(c.has_volume)
      c.volume = StringToDouble(c.volume_text);
   c.symbol = TgJsonGet(d, node, "symbol", "");
   c.side = TgJsonGet(d, node, "side", "");
   c.sl = StringToDouble(TgJsonGet(d, node, "sl", "0"));
   c.tp = StringToDouble(TgJsonGet(d, node, "tp", "0"));
   c.signal_id = TgJsonGet(d, node, "signal_id", "");
   c.created_at = TgJsonGet(d, node, "created_at", "");
   c.expires_at = TgJsonGet(d, node, "expires_at", "");
  }

// The `commands` of a snapshot answer or of GET /v1/bridge/commands, oldest first; -1 if the answer is
// not JSON or has no commands array (out is then empty).
int TgParseCommands(const Bytes &answer, TgCommandList &out)
  {
   ArrayFree(out.v);
   TgJsonDoc d;
   if(!TgJsonParse(answer, d))
      return -1;
   int list = TgJsonPath(d, 0, "commands");
   if(TgJsonKind(d, list) != TG_JSON_ARRAY)
      return -1;
   int n = TgJsonCount(d, list);
   ArrayResize(out.v, n);
   for(int i = 0; i < n; i++)
      TgCommandFromJson(d, TgJsonAt(d, list, i), out.v[i]);
   return n;
  }

//--- acks ------------------------------------------------------------------------------------------
struct TgAckResult
  {
   ulong             ticket;
   double            closed_volume;
   int               volume_digits;
   bool              has_price;
   double            price;
   int               digits;
   bool              has_profit;    // profit may not be known right after the order
   double            profit;
   int               money_digits;
   string            message;       // not on the wire (AckResultIn has no message): for the log
  };

struct TgAck
  {
   string            status;        // done | partial | failed
   TG_ARRAY(TgAckResult, results);
   string            message;       // at most 500 characters
  };

// The POST /v1/bridge/commands/{id}/ack body.
void TgAckJson(const TgAck &ack, Bytes &out)
  {
   TgJson j;
   TgJsonReset(j);
   TgJsonBeginObject(j);
   TgJsonKeyString(j, "status", ack.status);
   TgJsonKey(j, "results");
   TgJsonBeginArray(j);
   for(int i = 0; i < ArraySize(ack.results); i++)
     {
      TgJsonBeginObject(j);
      TgJsonKeyInt(j, "ticket", (long)ack.results[i].ticket);
      TgJsonKeyDecimal(j, "closed_volume", ack.results[i].closed_volume, ack.results[i].volume_digits);
      if(ack.results[i].has_price)
         TgJsonKeyDecimal(j, "price", ack.results[i].price, ack.results[i].digits);
      if(ack.results[i].has_profit)
         TgJsonKeyDecimal(j, "profit", ack.results[i].profit, ack.results[i].money_digits);
      TgJsonEndObject(j);
     }
   TgJsonEndArray(j);
   TgJsonKeyString(j, "message", TgClip(ack.message, 500));
   TgJsonEndObject(j);
   TgJsonBytes(j, out);
  }

//--- answers ---------------------------------------------------------------------------------------
// Seconds from a Retry-After header in WebRequest's result_headers (any case, a status line tolerated;
// delta-seconds only), or -1 when absent or not a number.
int TgRetryAfter(const string resultHeaders)
  {
   string lower = resultHeaders;
   StringToLower(lower);
   int at = StringFind(lower, "retry-after:");
   if(at < 0)
      return -1;
   int from = at + StringLen("retry-after:");
   int eol = StringFind(lower, "\n", from);
   string value = StringSubstr(lower, from);
   if(eol >= 0)
      value = StringSubstr(lower, from, eol - from);
   StringTrimLeft(value);
   StringTrimRight(value);
   if(StringLen(value) == 0)
      return -1;
   Bytes b;
   int n = TgUtf8(value, b);
   for(int i = 0; i < n; i++)
      if(b.v[i] < '0' || b.v[i] > '9')
         return -1;
   return (int)StringToInteger(value);
  }

// error.code of an error body ({"error": {"code": ..., "message": ...}}), or "".
string TgErrorCode(const Bytes &body)
  {
   TgJsonDoc d;
   if(!TgJsonParse(body, d))
      return "";
   return TgJsonGet(d, 0, "error.code", "");
  }

// error.message of an error body, or "".
string TgErrorMessage(const Bytes &body)
  {
   TgJsonDoc d;
   if(!TgJsonParse(body, d))
      return "";
   return TgJsonGet(d, 0, "error.message", "");
  }

//--- WebRequest's char arrays ----------------------------------------------------------------------
void TgBytesToChars(const Bytes &b, Chars &c)
  {
   int n = ArraySize(b.v);
   ArrayFree(c.v);
   ArrayResize(c.v, n);
   for(int i = 0; i < n; i++)
      c.v[i] = (char)b.v[i];
  }

void TgCharsToBytes(const Chars &c, Bytes &b)
  {
   int n = ArraySize(c.v);
   ArrayFree(b.v);
   ArrayResize(b.v, n);
   for(int i = 0; i < n; i++)
      b.v[i] = (uchar)c.v[i];
  }

#endif
