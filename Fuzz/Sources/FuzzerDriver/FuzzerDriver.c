// Declarations only; the definition comes from libFuzzer (-sanitize=fuzzer).
#include "FuzzerDriver.h"
