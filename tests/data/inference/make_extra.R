# Extra inference cases for tests/test_inference_extra.py: extra.json (a few seconds; writes next to itself)
#   Rscript tests/data/inference/make_extra.R
# - ranova of an uncorrelated-slopes model, (Days || Subject): lmerTest expands it into (1 | Subject) and
#   (0 + Days | Subject) and reduces the second to (1 | Subject), which the first already is;
# - a model without intercept, 0 + Product + Age: anova types 1-3 and the coefficient table.
suppressMessages(library(lmerTest))
Sys.setlocale("LC_COLLATE", "C")
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))))
table_of <- function(x) {
  x <- as.data.frame(x)
  list(rownames = I(rownames(x)), columns = I(colnames(x)), values = unname(lapply(seq_len(nrow(x)),
       function(i) unname(as.list(x[i, , drop = TRUE])))))
}
sleep <- read.csv(file.path(here, "sleepstudy.csv"), colClasses = c("numeric", "numeric", "character"))
sleep$Subject <- factor(sleep$Subject, levels = sort(unique(sleep$Subject)))
ham <- read.csv(file.path(here, "ham.csv"),
                colClasses = c("character", "character", "character", "character", "numeric", "numeric"))
for (col in c("Consumer", "Product", "Information", "Gender")) ham[[col]] <- factor(ham[[col]], levels = sort(unique(ham[[col]])))
uncorrelated <- lmer(Reaction ~ Days + (Days || Subject), data = sleep)
no_intercept <- lmer(Informed.liking ~ 0 + Product + Age + (1 | Consumer), data = ham)
out <- list(
  versions = list(R = as.character(getRversion()), lme4 = as.character(packageVersion("lme4")),
                  lmerTest = as.character(packageVersion("lmerTest"))),
  uncorrelated = list(data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days || Subject)",
                      ranova = table_of(ranova(uncorrelated))),
  no_intercept = list(data = "ham.csv", formula = "Informed.liking ~ 0 + Product + Age + (1 | Consumer)",
                      coef_table = table_of(coef(summary(no_intercept))),
                      anova = lapply(setNames(1:3, paste0("type", 1:3)), function(k) table_of(anova(no_intercept, type = k))))
)
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           file.path(here, "extra.json"))
