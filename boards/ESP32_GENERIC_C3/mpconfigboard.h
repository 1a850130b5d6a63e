// MicroPython's ESP32_GENERIC_C3 settings, used as they are (found through
// the esp32 port directory on the include path).
#include "boards/ESP32_GENERIC_C3/mpconfigboard.h"
