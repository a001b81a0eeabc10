//+------------------------------------------------------------------+
//| Terminal.mqh: the Term* interface (declared in Commands.mqh) on  |
//| the real MT5 terminal. MQL5 only: CTrade, PositionGetTicket,     |
//| HistorySelect, SymbolInfoTick. The C++ twin is                   |
//| ea/shim/fake_terminal.hpp (an in-memory account for CI).         |
//+------------------------------------------------------------------+
#ifndef TRADEGUARD_TERMINAL_MQH
#define TRADEGUARD_TERMINAL_MQH

#include <Trade\Trade.mqh>

#define TERM_DEVIATION_POINTS 50   // slippage accepted on a market close/open
#define TERM_SEND_ATTEMPTS    3    // requotes / price changed: try again, at most this often
#define TERM_RETRY_SLEEP_MS   200

CTrade g_term_trade;

// Broker server time minus UTC, rounded to the quarter hour (time zones are whole quarters).
long TermServerOffset()
  {
   long diff = (long)TimeTradeServer() - (long)TimeGMT();
   return (long)MathRound((double)diff / 900.0) * 900;
  }

datetime TermUtc(const datetime server_time)
  {
   if(server_time <= 0)
      return 0;
   return (datetime)((long)server_time - TermServerOffset());
  }

int TermVolumeDigits(const string symbol)
  {
   double step = SymbolInfoDouble(symbol, SYMBOL_VOLUME_STEP);
   if(step <= 0.0)
      return 2;
   int digits = 0;
   double scaled = step;
   while(digits < 8 && MathAbs(scaled - MathRound(scaled)) > 1e-7)
     {
      scaled *= 10.0;
      digits++;
     }
   return digits;
  }

int TermPriceDigits(const string symbol)
  {
   long digits = SymbolInfoInteger(symbol, SYMBOL_DIGITS);
   if(digits < 0 || digits > 8)
      return 5;
   return (int)digits;
  }

bool TermAccount(TgAccount &a)
  {
   a.login = AccountInfoInteger(ACCOUNT_LOGIN);
   a.server = AccountInfoString(ACCOUNT_SERVER);
   a.currency = AccountInfoString(ACCOUNT_CURRENCY);
   a.money_digits = (int)AccountInfoInteger(ACCOUNT_CURRENCY_DIGITS);
   if(a.money_digits < 0 || a.money_digits > 8)
      a.money_digits = 2;
   a.balance = AccountInfoDouble(ACCOUNT_BALANCE);
   a.equity = AccountInfoDouble(ACCOUNT_EQUITY);
   a.margin = AccountInfoDouble(ACCOUNT_MARGIN);
   a.free_margin = AccountInfoDouble(ACCOUNT_MARGIN_FREE);
   a.leverage = AccountInfoInteger(ACCOUNT_LEVERAGE);
   if(a.leverage < 1)
      a.leverage = 1;
   return a.login > 0;
  }

bool TermHedging()
  {
   return AccountInfoInteger(ACCOUNT_MARGIN_MODE) == ACCOUNT_MARGIN_MODE_RETAIL_HEDGING;
  }

int TermPositionsTotal()
  {
   return PositionsTotal();
  }

bool TermFillSelectedPosition(TgPosition &p)
  {
   p.ticket = (ulong)PositionGetInteger(POSITION_TICKET);
   p.symbol = PositionGetString(POSITION_SYMBOL);
   p.side = (PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY) ? "buy" : "sell";
   p.volume = PositionGetDouble(POSITION_VOLUME);
   p.volume_digits = TermVolumeDigits(p.symbol);
   p.digits = TermPriceDigits(p.symbol);
   p.open_price = PositionGetDouble(POSITION_PRICE_OPEN);
   p.open_time = TermUtc((datetime)PositionGetInteger(POSITION_TIME));
   p.sl = PositionGetDouble(POSITION_SL);
   p.tp = PositionGetDouble(POSITION_TP);
   p.price = PositionGetDouble(POSITION_PRICE_CURRENT);
   p.swap = PositionGetDouble(POSITION_SWAP);
   p.profit = PositionGetDouble(POSITION_PROFIT);
   p.magic = PositionGetInteger(POSITION_MAGIC);
   p.comment = PositionGetString(POSITION_COMMENT);
   return p.ticket > 0;
  }

bool TermPositionAt(const int index, TgPosition &p)
  {
   ulong ticket = PositionGetTicket(index);   // also selects it
   if(ticket == 0)
      return false;
   return TermFillSelectedPosition(p);
  }

bool TermRetryable(const uint retcode)
  {
   return retcode == TRADE_RETCODE_REQUOTE || retcode == TRADE_RETCODE_PRICE_CHANGED
          || retcode == TRADE_RETCODE_PRICE_OFF || retcode == TRADE_RETCODE_TOO_MANY_REQUESTS
          || retcode == TRADE_RETCODE_CONNECTION || retcode == TRADE_RETCODE_TIMEOUT;
  }

void TermTakeResult(TermResult &r)
  {
   r.retcode = (int)g_term_trade.ResultRetcode();
   r.ok = (r.retcode == TRADE_RETCODE_DONE || r.retcode == TRADE_RETCODE_DONE_PARTIAL
           || r.retcode == TRADE_RETCODE_PLACED);
   r.volume = g_term_trade.ResultVolume();
   r.price = g_term_trade.ResultPrice();
   string symbol = g_term_trade.RequestSymbol();
   r.volume_digits = TermVolumeDigits(symbol);
   r.price_digits = TermPriceDigits(symbol);
   r.has_price = r.price > 0.0;
   r.has_profit = false;
   r.profit = 0.0;
   r.message = "";
   if(!r.ok)
      r.message = g_term_trade.ResultRetcodeDescription() + " (retcode " + IntegerToString(r.retcode) + ")";
   ulong deal = g_term_trade.ResultDeal();
   if(r.ok && deal > 0 && HistoryDealSelect(deal))
     {
      // the close deal's own numbers; it may not be in the history yet right after OrderSend:
      // then profit is left out of the ack rather than waited for
      r.profit = HistoryDealGetDouble(deal, DEAL_PROFIT);
      r.has_profit = true;
      double deal_price = HistoryDealGetDouble(deal, DEAL_PRICE);
      if(deal_price > 0.0)
        {
         r.price = deal_price;
         r.has_price = true;
        }
      double deal_volume = HistoryDealGetDouble(deal, DEAL_VOLUME);
      if(deal_volume > 0.0)
         r.volume = deal_volume;
     }
  }

bool TermClose(const long ticket, const double volume, TermResult &r)
  {
   TgResultClear(r);
   r.ticket = ticket;
   if(!PositionSelectByTicket((ulong)ticket))
     {
      r.message = "position #" + IntegerToString(ticket) + " is not open";
      return false;
     }
   string symbol = PositionGetString(POSITION_SYMBOL);
   double held = PositionGetDouble(POSITION_VOLUME);
   double step = SymbolInfoDouble(symbol, SYMBOL_VOLUME_STEP);
   bool whole = (volume <= 0.0 || volume >= held - step / 2.0);
   bool hedging = TermHedging();
   g_term_trade.SetDeviationInPoints(TERM_DEVIATION_POINTS);
   g_term_trade.SetTypeFillingBySymbol(symbol);
   for(int attempt = 1; attempt <= TERM_SEND_ATTEMPTS; attempt++)
     {
      bool sent;
      if(whole)
         sent = hedging ? g_term_trade.PositionClose((ulong)ticket) : g_term_trade.PositionClose(symbol);
      else
         sent = hedging ? g_term_trade.PositionClosePartial((ulong)ticket, volume)
                        : g_term_trade.PositionClosePartial(symbol, volume);
      TermTakeResult(r);
      if(sent && r.ok)
         return true;
      if(!TermRetryable((uint)r.retcode) || attempt == TERM_SEND_ATTEMPTS || IsStopped())
         break;
      Sleep(TERM_RETRY_SLEEP_MS);
     }
   if(r.message == "")
      r.message = "close refused (retcode " + IntegerToString(r.retcode) + ")";
   return false;
  }

bool TermOpen(const string symbol, const string side, const double volume, const double sl, const double tp,
              const string comment, const long magic, TermResult &r)
  {
   TgResultClear(r);
   if(!SymbolSelect(symbol, true))
     {
      r.message = "unknown symbol " + symbol;
      return false;
     }
   g_term_trade.SetExpertMagicNumber((ulong)magic);
   g_term_trade.SetDeviationInPoints(TERM_DEVIATION_POINTS);
   g_term_trade.SetTypeFillingBySymbol(symbol);
   ENUM_ORDER_TYPE type = (side == "buy") ? ORDER_TYPE_BUY : ORDER_TYPE_SELL;
   for(int attempt = 1; attempt <= TERM_SEND_ATTEMPTS; attempt++)
     {
      MqlTick tick;
      if(!SymbolInfoTick(symbol, tick) || tick.bid <= 0.0)
        {
         r.message = "no price for " + symbol;
         return false;
        }
      double price = (type == ORDER_TYPE_BUY) ? tick.ask : tick.bid;
      bool sent = g_term_trade.PositionOpen(symbol, type, volume, price, sl, tp, comment);
      TermTakeResult(r);
      r.ticket = (long)g_term_trade.ResultOrder();   // hedging: the position id is the order ticket
      if(sent && r.ok)
        {
         if(r.ticket > 0 && PositionSelectByTicket((ulong)r.ticket))
            r.volume = PositionGetDouble(POSITION_VOLUME);
         return true;
        }
      if(!TermRetryable((uint)r.retcode) || attempt == TERM_SEND_ATTEMPTS || IsStopped())
         break;
      Sleep(TERM_RETRY_SLEEP_MS);
     }
   if(r.message == "")
      r.message = "open refused (retcode " + IntegerToString(r.retcode) + ")";
   return false;
  }

// Selects the deals from `from_utc` on (oldest first); the count, or -1 when the history is not available.
int TermDealsSince(const datetime from_utc)
  {
   datetime from_server = (datetime)((long)from_utc + TermServerOffset());
   datetime to_server = (datetime)((long)TimeTradeServer() + 86400);
   if(!HistorySelect(from_server, to_server))
      return -1;
   return HistoryDealsTotal();
  }

bool TermDealAt(const int index, TgDeal &d)
  {
   ulong ticket = HistoryDealGetTicket(index);
   if(ticket == 0)
      return false;
   d.ticket = ticket;
   d.position = (ulong)HistoryDealGetInteger(ticket, DEAL_POSITION_ID);
   d.symbol = HistoryDealGetString(ticket, DEAL_SYMBOL);
   d.type = TgDealTypeName((int)HistoryDealGetInteger(ticket, DEAL_TYPE));
   d.entry = TgDealEntryName((int)HistoryDealGetInteger(ticket, DEAL_ENTRY));
   d.reason = TgDealReasonName((int)HistoryDealGetInteger(ticket, DEAL_REASON));
   d.volume = HistoryDealGetDouble(ticket, DEAL_VOLUME);
   d.volume_digits = (d.symbol == "") ? 2 : TermVolumeDigits(d.symbol);
   d.price = HistoryDealGetDouble(ticket, DEAL_PRICE);
   d.digits = (d.symbol == "") ? 2 : TermPriceDigits(d.symbol);
   d.time = TermUtc((datetime)HistoryDealGetInteger(ticket, DEAL_TIME));
   d.profit = HistoryDealGetDouble(ticket, DEAL_PROFIT);
   d.commission = HistoryDealGetDouble(ticket, DEAL_COMMISSION);
   d.swap = HistoryDealGetDouble(ticket, DEAL_SWAP);
   d.magic = HistoryDealGetInteger(ticket, DEAL_MAGIC);
   d.comment = HistoryDealGetString(ticket, DEAL_COMMENT);
   return true;
  }

int TermWatchedTotal()
  {
   return SymbolsTotal(true);
  }

string TermWatchedSymbol(const int index)
  {
   return SymbolName(index, true);
  }

// The current quote of `symbol`; false when it has none yet (bid 0: not subscribed, market closed).
bool TermQuoteOf(const string symbol, TgQuote &q)
  {
   MqlTick tick;
   if(!SymbolInfoTick(symbol, tick) || tick.bid <= 0.0 || tick.ask <= 0.0)
      return false;
   q.symbol = symbol;
   q.bid = tick.bid;
   q.ask = tick.ask;
   q.digits = TermPriceDigits(symbol);
   q.time = TermUtc(tick.time);
   return true;
  }

// Whether this EA may trade now; `why` says what to switch on when not.
bool TermTradeAllowed(string &why)
  {
   why = "";
   if(!TerminalInfoInteger(TERMINAL_CONNECTED))
      why = "the terminal is not connected to the trade server";
   else if(!TerminalInfoInteger(TERMINAL_TRADE_ALLOWED))
      why = "AutoTrading (Algo Trading) is off in the terminal";
   else if(!MQLInfoInteger(MQL_TRADE_ALLOWED))
      why = "Allow Algo Trading is off in the EA's settings";
   else if(!AccountInfoInteger(ACCOUNT_TRADE_EXPERT))
      why = "the broker does not allow Expert Advisors to trade on this account";
   else if(!AccountInfoInteger(ACCOUNT_TRADE_ALLOWED))
      why = "trading is disabled on this account (investor password?)";
   return why == "";
  }

// A message the trader must see: the terminal's Alert window (and the Experts log).
void TermAlert(const string text)
  {
   Alert(text);
  }

#endif
