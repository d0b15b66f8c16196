// skin/serve/upload_page.hpp: the one-page upload form the server shows at GET / (no external assets,
// no build step): pick or drop an image, see the top 3 with bars, the saliency overlay, the risk
// level, quality warnings and the disclaimer. Source: libskin/serve/data/upload_page.html.
#pragma once
#include <string>

namespace skin {

const std::string& upload_page_html();

}  // namespace skin
