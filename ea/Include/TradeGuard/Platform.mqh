//+------------------------------------------------------------------+
//| TradeGuard: MQL5-only platform types for the shared include files |
//| The C++ twin of this file is ea/shim/mql5_shim.hpp (same names). |
//+------------------------------------------------------------------+
#ifndef TG_PLATFORM_MQH
#define TG_PLATFORM_MQH

// A dynamic array member of a struct: `T name[]` here, mqlarr<T> in the C++ shim.
#define TG_ARRAY(T, name) T name[]

// Byte buffers are passed around inside structs, because C++ has no `uchar &a[]` parameter.
struct Bytes
  {
   uchar             v[];
  };

// WebRequest takes and returns `char` arrays.
struct Chars
  {
   char              v[];
  };

#endif
