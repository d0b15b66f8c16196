// skin/core/process_clock.hpp: how long this process has existed, for start-up profiles (the
// time spent loading shared libraries and running their static initialisers before main()).
#pragma once

namespace skin {

// Milliseconds since the kernel started this process (10 ms resolution: clock ticks); 0 where
// /proc is not available.
double process_age_ms();

}  // namespace skin
