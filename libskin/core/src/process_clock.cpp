// process_clock.cpp: process age from /proc/self/stat's start time and CLOCK_BOOTTIME.
#include "skin/core/process_clock.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <time.h>

namespace skin {

double process_age_ms() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (!std::getline(stat, line)) return 0;
  // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) {
      timespec now{};
      if (clock_gettime(CLOCK_BOOTTIME, &now) != 0) return 0;
      const double start_s = std::stod(field) / double(sysconf(_SC_CLK_TCK));
      const double now_s = double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
      return (now_s - start_s) * 1000.0;
    }
  return 0;
}

}  // namespace skin
