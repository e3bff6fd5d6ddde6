// libFuzzer's driver entry point. SwiftPM names an executable's entry `<module>_main`, so the
// fuzz target defines that symbol itself and hands control to libFuzzer here.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
