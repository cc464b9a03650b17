# lme4's predictions for new data (with a new subject) and their settings, for tests/test_predict.py.
# Run from this folder: Rscript make_predictions.R
suppressMessages({library(lme4); library(jsonlite)})
Sys.setlocale("LC_COLLATE", "C")
sleep <- read.csv("sleepstudy.csv", colClasses = c(Subject = "factor"))
fit <- lmer(Reaction ~ Days + (Days | Subject), data = sleep)
newdata <- data.frame(Days = c(0, 3.5, 9, 2, 7), Subject = c("308", "309", "372", "999", "999"))
out <- list(
  formula = "Reaction ~ Days + (Days | Subject)", REML = TRUE, data = "sleepstudy.csv",
  newdata = newdata,
  conditional = unname(predict(fit, newdata = newdata, allow.new.levels = TRUE)),
  population = unname(predict(fit, newdata = newdata, re.form = NA))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, dataframe = "columns"), "predictions/sleepstudy.json")
