# Writes lme4's printed summary() of reference fits to summaries/<id>.txt, so that the
# Python summary can be compared with what lmer prints, digit for digit.
# Run from this folder: Rscript make_summaries.R (needs r-cran-lme4 and r-cran-jsonlite).
suppressMessages({library(lme4); library(jsonlite)})
Sys.setlocale("LC_COLLATE", "C")
options(width = 80)

read_case <- function(json_path) {
  spec <- fromJSON(json_path)
  csv <- file.path(dirname(json_path), spec$data)
  data <- read.csv(csv, stringsAsFactors = FALSE)
  types <- spec$column_types
  for (col in names(data)) {
    kind <- if (!is.null(types[[col]])) types[[col]] else if (is.character(data[[col]])) "factor" else "numeric"
    if (kind == "factor") data[[col]] <- factor(as.character(data[[col]]))
    if (kind == "logical") data[[col]] <- as.logical(data[[col]])
  }
  list(spec = spec, data = data)
}

write_summary <- function(json_path) {
  case <- read_case(json_path)
  data <- case$data
  fit <- suppressMessages(suppressWarnings(
    lmer(as.formula(case$spec$formula), data = data, REML = case$spec$REML)))
  text <- capture.output(print(summary(fit)))
  writeLines(text, file.path("summaries", paste0(case$spec$id, ".txt")))
}

shared <- Sys.glob("../reference/*.json")
shared <- shared[!grepl("insteval", shared)]
for (path in c(shared, Sys.glob("*.json"))) write_summary(path)
