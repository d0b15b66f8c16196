// csv_test.cpp: the CSV reader's dialect handling and row-numbered errors (skin/core/csv.hpp).
#include "skin/core/csv.hpp"

#include <sstream>

#include <doctest/doctest.h>

#include "skin/core/error.hpp"

TEST_CASE("BOM, CRLF, quotes, embedded commas and newlines, blank lines") {
  std::istringstream in("\xEF\xBB\xBFimage,note\r\n\r\na,\"x, \"\"y\"\"\"\r\nb,\"two\nlines\"\n\n");
  skin::CsvReader csv(in, "t.csv");
  CHECK(csv.header() == std::vector<std::string>{"image", "note"});
  CHECK(*csv.next() == std::vector<std::string>{"a", "x, \"y\""});
  CHECK(csv.row() == 3);
  CHECK(*csv.next() == std::vector<std::string>{"b", "two\nlines"});
  CHECK_FALSE(csv.next().has_value());
}

TEST_CASE("errors name the file and the row") {
  std::istringstream in("image,MEL\nx,0.5\ny,0.5,extra\n");
  skin::CsvReader csv(in, "t.csv");
  csv.next();
  CHECK_THROWS_WITH_AS(csv.next(), "t.csv: row 3: has 3 fields, header has 2", skin::Error);
  CHECK_THROWS_WITH_AS(csv.require_column("NV"), "t.csv: missing column 'NV'", skin::Error);
  std::istringstream empty("");
  CHECK_THROWS_WITH_AS(skin::CsvReader(empty, "e.csv"), "e.csv: file is empty", skin::Error);
}

TEST_CASE("probability cells must be finite numbers in [0, 1]") {
  std::istringstream in("a\n1\n");
  skin::CsvReader csv(in, "p.csv");
  csv.next();
  CHECK(skin::parse_probability(csv, "0.25", "MEL") == 0.25);
  CHECK_THROWS_WITH_AS(skin::parse_probability(csv, "nan", "MEL"), "p.csv: row 2: 'MEL' is not finite: 'nan'",
                       skin::Error);
  CHECK_THROWS_WITH_AS(skin::parse_probability(csv, "-0.5", "MEL"), "p.csv: row 2: 'MEL' is outside [0, 1]: -0.5",
                       skin::Error);
  CHECK_THROWS_WITH_AS(skin::parse_probability(csv, "0.2x", "MEL"), "p.csv: row 2: 'MEL' is not a number: '0.2x'",
                       skin::Error);
  CHECK_THROWS_WITH_AS(skin::parse_probability(csv, "", "MEL"), "p.csv: row 2: 'MEL' is not a number: ''", skin::Error);
}
