// skin/skin.hpp: every public header of libskin, by group (core, input, model, inference,
// robustness, evaluation, explain, serve); for users who want one include.
#pragma once

// core
#include "skin/core/binomial.hpp"
#include "skin/core/csv.hpp"
#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/json_text.hpp"
#include "skin/core/output_file.hpp"
#include "skin/core/process_clock.hpp"
#include "skin/core/progress.hpp"
#include "skin/core/sha256.hpp"
#include "skin/core/strings.hpp"
#include "skin/core/version.hpp"
#include "skin/core/wilcoxon.hpp"

// input
#include "skin/input/dataset.hpp"
#include "skin/input/image.hpp"
#include "skin/input/image_io.hpp"
#include "skin/input/input_source.hpp"
#include "skin/input/label_map.hpp"
#include "skin/input/skin_tone.hpp"

// model
#include "skin/model/adaptation.hpp"
#include "skin/model/classifier.hpp"
#include "skin/model/color_constancy.hpp"
#include "skin/model/conformal.hpp"
#include "skin/model/manifest.hpp"
#include "skin/model/model_copy.hpp"
#include "skin/model/model_directory_writer.hpp"
#include "skin/model/model_locator.hpp"
#include "skin/model/ood.hpp"
#include "skin/model/prediction.hpp"
#include "skin/model/preprocess.hpp"
#include "skin/model/quality.hpp"
#include "skin/model/sensitivity_guarantee.hpp"
#include "skin/model/thresholds_file.hpp"

// inference
#include "skin/inference/pipeline.hpp"
#include "skin/inference/prediction_files.hpp"
#include "skin/inference/profile.hpp"
#include "skin/inference/sharding.hpp"

// robustness
#include "skin/robustness/artefacts.hpp"
#include "skin/robustness/corruptions.hpp"
#include "skin/robustness/dataset_shift.hpp"
#include "skin/robustness/random_stream.hpp"

// evaluation
#include "skin/evaluation/audit.hpp"
#include "skin/evaluation/calibration.hpp"
#include "skin/evaluation/clusters.hpp"
#include "skin/evaluation/compare.hpp"
#include "skin/evaluation/delong.hpp"
#include "skin/evaluation/duplicates.hpp"
#include "skin/evaluation/gates.hpp"
#include "skin/evaluation/junit.hpp"
#include "skin/evaluation/label_issues.hpp"
#include "skin/evaluation/leaderboard.hpp"
#include "skin/evaluation/metrics.hpp"
#include "skin/evaluation/ood_report.hpp"
#include "skin/evaluation/paired_change.hpp"
#include "skin/evaluation/plots.hpp"
#include "skin/evaluation/report.hpp"
#include "skin/evaluation/report_text.hpp"
#include "skin/evaluation/roc.hpp"
#include "skin/evaluation/scoring.hpp"
#include "skin/evaluation/selective.hpp"
#include "skin/evaluation/shift.hpp"
#include "skin/evaluation/subgroups.hpp"
#include "skin/evaluation/subset_metrics.hpp"
#include "skin/evaluation/summary_markdown.hpp"

// explain
#include "skin/explain/explainer.hpp"
#include "skin/explain/explanation.hpp"
#include "skin/explain/faithfulness.hpp"
#include "skin/explain/saliency.hpp"

// serve
#include "skin/serve/http_server.hpp"
#include "skin/serve/micro_batcher.hpp"
#include "skin/serve/responses.hpp"
#include "skin/serve/server_metrics.hpp"
#include "skin/serve/upload_page.hpp"
