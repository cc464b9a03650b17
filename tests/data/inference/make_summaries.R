# lmerTest's printed summaries, for tests/test_inference_tables.py: summaries/<case>_<ddf>[_ml].txt
# Rscript tests/data/inference/make_summaries.R   (a few seconds; writes next to itself)
suppressMessages(library(lmerTest))
Sys.setlocale("LC_COLLATE", "C")
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))))
types <- jsonlite::fromJSON(file.path(here, "column_types.json"))
read_case <- function(file) {
  t <- types[[file]]
  classes <- ifelse(unlist(t) == "factor", "character", "numeric")
  d <- read.csv(file.path(here, file), colClasses = classes)
  for (col in names(t)) if (t[[col]] == "factor") d[[col]] <- factor(d[[col]], levels = sort(unique(d[[col]])))
  d
}
cases <- list(
  sleepstudy = list("sleepstudy.csv", Reaction ~ Days + (Days | Subject)),
  penicillin = list("penicillin.csv", diameter ~ 1 + (1 | plate) + (1 | sample)),
  singular = list("dyestuff2_trt.csv", Yield ~ trt + (1 | Batch)),
  machines = list("machines.csv", score ~ Machine + (1 | Worker) + (1 | Worker:Machine))
)
dir.create(file.path(here, "summaries"), showWarnings = FALSE)
for (name in names(cases)) {
  d <- read_case(cases[[name]][[1]])
  for (reml in c(TRUE, FALSE)) {
    fit <- suppressMessages(eval(bquote(lmer(.(cases[[name]][[2]]), data = d, REML = .(reml)))))
    for (ddf in c("Satterthwaite", "Kenward-Roger")) {
      if (!reml && ddf == "Kenward-Roger") next
      out <- capture.output(print(summary(fit, ddf = ddf)))
      file <- sprintf("%s_%s%s.txt", name, tolower(ddf), if (reml) "" else "_ml")
      writeLines(out, file.path(here, "summaries", file))
    }
  }
}
