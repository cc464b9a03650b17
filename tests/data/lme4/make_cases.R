## Reference fits from lme4::lmer for formula syntax forms not covered by
## tests/data/reference.  Run from anywhere:
##   Rscript tests/data/lme4/make_cases.R
## Writes <data>.csv and <case>.json next to this script.  JSON fields follow
## tests/data/reference/README.md, plus n_dropped, fixef_dropped, warnings,
## messages, column_types and fitted_index_note.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted by code point, like Python

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else getwd()

## ---------------------------------------------------------------- data files
col_types <- list()  # file name -> named character vector column -> type

write_data <- function(df, file, types) {
  stopifnot(setequal(names(types), names(df)))
  col_types[[file]] <<- types[names(df)]
  write.csv(df, file.path(out_dir, file), row.names = FALSE, na = "")
}

read_data <- function(file) {
  types <- col_types[[file]]
  cls <- c(numeric = "numeric", factor = "factor", logical = "logical")[types]
  read.csv(file.path(out_dir, file), colClasses = setNames(unname(cls), names(types)),
           na.strings = "")
}

## ---------------------------------------------------------------- one case
make_case <- function(id, file, formula, REML) {
  d <- read_data(file)
  fml <- as.formula(formula)
  warns <- character(0)
  msgs <- character(0)
  fit <- withCallingHandlers(
    lmer(fml, data = d, REML = REML),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  secs <- median(replicate(5, system.time(
    suppressWarnings(suppressMessages(lmer(fml, data = d, REML = REML))))[["elapsed"]]))

  dropped_rows <- as.integer(attr(model.frame(fit), "na.action"))
  idx <- setdiff(seq_len(nrow(d)), dropped_rows)
  stopifnot(length(idx) == nobs(fit))

  ml_fit <- if (REML) suppressWarnings(suppressMessages(refitML(fit))) else fit
  ll <- logLik(fit)
  V <- as.matrix(vcov(fit))
  vc <- as.data.frame(VarCorr(fit))
  varcorr <- lapply(seq_len(nrow(vc)), function(i) list(
    grp = vc$grp[i], var1 = vc$var1[i], var2 = vc$var2[i],  # NA -> null
    vcov = vc$vcov[i], sdcor = vc$sdcor[i]))
  re <- ranef(fit, condVar = TRUE)
  ranef_list <- lapply(names(re), function(g) list(
    group = g, levels = rownames(re[[g]]), columns = colnames(re[[g]]),
    values = unname(as.matrix(re[[g]]))))
  rl <- as.data.frame(re)
  X <- getME(fit, "X")

  res <- list(
    id = id, data = file, formula = formula, REML = REML,
    lme4_version = as.character(packageVersion("lme4")),
    nobs = nobs(fit),
    ngroups = as.list(ngrps(fit)),
    theta = unname(getME(fit, "theta")),
    theta_names = names(getME(fit, "theta")),
    beta = as.list(fixef(fit)),
    sigma = sigma(fit),
    objective = if (REML) REMLcrit(fit) else deviance(fit),
    deviance_ml = deviance(ml_fit),
    logLik = as.numeric(ll),
    df = attr(ll, "df"),
    AIC = AIC(fit), BIC = BIC(fit),
    vcov = unname(V),
    stderr = unname(sqrt(diag(V))),
    varcorr = varcorr,
    ranef = ranef_list,
    ranef_long = list(grpvar = as.character(rl$grpvar), term = as.character(rl$term),
                      grp = as.character(rl$grp), condval = rl$condval, condsd = rl$condsd),
    hat_trace = sum(hatvalues(fit)),
    singular = isSingular(fit),
    fitted_index = idx,
    fitted_index_note = paste("1-based rows of the CSV (the original data, including rows",
                              "lme4 dropped for NA); fitted/residuals are given for these rows only"),
    fitted = unname(fitted(fit)),
    residuals = unname(residuals(fit)),
    lme4_fit_seconds_median = secs,
    ## extra fields; always arrays (I() stops auto_unbox for length 1)
    n_dropped = length(dropped_rows),
    fixef_dropped = I(as.character(names(attr(X, "col.dropped")))),
    warnings = I(warns),
    messages = I(msgs),
    column_types = as.list(col_types[[file]])
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
                    pretty = TRUE),
             file.path(out_dir, paste0(id, ".json")))
  cat(sprintf("%-26s %s  REML=%s\n  theta = %s\n  objective = %.10g\n  warnings: %s\n  messages: %s\n",
              id, formula, REML, paste(signif(getME(fit, "theta"), 8), collapse = ", "),
              res$objective, paste(warns, collapse = " | "), paste(msgs, collapse = " | ")))
  invisible(fit)
}

## ---------------------------------------------------------------- datasets
ss <- sleepstudy[, c("Reaction", "Days", "Subject")]
ss$Subject <- as.character(ss$Subject)
write_data(ss, "sleepstudy.csv", c(Reaction = "numeric", Days = "numeric", Subject = "factor"))

## sleepstudy with 8 missing Reaction and 5 missing Days (different rows)
set.seed(3)
na_rows <- sample(nrow(ss), 13)
ss_na <- ss
ss_na$Reaction[na_rows[1:8]] <- NA
ss_na$Days[na_rows[9:13]] <- NA
write_data(ss_na, "sleepstudy_na.csv", c(Reaction = "numeric", Days = "numeric", Subject = "factor"))

ck <- data.frame(replicate = as.character(cake$replicate), recipe = as.character(cake$recipe),
                 temp = cake$temp, angle = cake$angle)
write_data(ck, "cake.csv", c(replicate = "factor", recipe = "factor", temp = "numeric", angle = "numeric"))

ps <- data.frame(strength = Pastes$strength, batch = as.character(Pastes$batch),
                 cask = as.character(Pastes$cask))
write_data(ps, "pastes.csv", c(strength = "numeric", batch = "factor", cask = "factor"))

pn <- data.frame(diameter = Penicillin$diameter, plate = as.character(Penicillin$plate),
                 sample = as.character(Penicillin$sample))
write_data(pn, "penicillin.csv", c(diameter = "numeric", plate = "factor", sample = "factor"))

## two factors, crossed grouping g (30) x h (12), random slope of x by g
set.seed(1)
n <- 600
g <- sprintf("g%02d", rep(1:30, each = 20))
h <- sprintf("h%02d", sample(rep(1:12, each = 50)))
a <- sample(c("a1", "a2", "a3"), n, replace = TRUE)
b <- sample(c("lo", "hi"), n, replace = TRUE)
x <- round(rnorm(n), 4)
u0 <- rnorm(30, sd = 1.0); u1 <- 0.3 * u0 + rnorm(30, sd = 0.5); w <- rnorm(12, sd = 0.7)
gi <- as.integer(substr(g, 2, 3)); hi <- as.integer(substr(h, 2, 3))
mu <- 1 + c(a1 = 0, a2 = 0.8, a3 = -0.5)[a] + 0.6 * (b == "hi") +
  c(a1 = 0, a2 = -0.7, a3 = 0.4)[a] * (b == "hi") + 0.8 * x + u0[gi] + u1[gi] * x + w[hi]
y <- round(unname(mu) + rnorm(n), 4)
tf <- data.frame(y, a, b, x, x2 = 2 * x, g, h)
write_data(tf, "two_factors.csv", c(y = "numeric", a = "factor", b = "factor", x = "numeric",
                                    x2 = "numeric", g = "factor", h = "factor"))

## integer-coded grouping column (written as bare numbers)
set.seed(13)
codes <- sort(c(3, 10, 27, sample(setdiff(1:99, c(3, 10, 27)), 17)))
gi <- rep(codes, each = 15)
x <- round(rnorm(length(gi)), 4)
u <- setNames(rnorm(length(codes), sd = 0.8), codes)
y <- round(2 + 0.5 * x + u[as.character(gi)] + rnorm(length(gi), sd = 0.6), 4)
write_data(data.frame(y = unname(y), x, g = gi), "integer_groups.csv",
           c(y = "numeric", x = "numeric", g = "factor"))

## 3x3 correlated random effects
set.seed(2)
n <- 900; G <- 40
g <- sprintf("s%02d", sample(rep(1:G, length.out = n)))
gi <- as.integer(substr(g, 2, 3))
x1 <- round(rnorm(n), 4); x2 <- round(runif(n, -1, 1), 4)
sds <- c(1.0, 0.7, 0.5)
R <- matrix(c(1, 0.4, -0.3, 0.4, 1, 0.2, -0.3, 0.2, 1), 3)
U <- matrix(rnorm(3 * G), G) %*% chol(diag(sds) %*% R %*% diag(sds))
y <- round(3 + 0.5 * x1 - 0.8 * x2 + U[gi, 1] + U[gi, 2] * x1 + U[gi, 3] * x2 + rnorm(n, sd = 0.8), 4)
write_data(data.frame(y, x1, x2, g), "correlated_three.csv",
           c(y = "numeric", x1 = "numeric", x2 = "numeric", g = "factor"))

## logical fixed-effect column
set.seed(16)
n <- 400
g <- sprintf("k%02d", rep(1:25, each = 16))
gi <- as.integer(substr(g, 2, 3))
x <- round(rnorm(n), 4)
flag <- runif(n) < 0.4
y <- round(1 + 0.3 * x + 0.8 * flag + rnorm(25, sd = 0.9)[gi] + rnorm(n, sd = 0.7), 4)
write_data(data.frame(y, x, flag, g), "logical_flag.csv",
           c(y = "numeric", x = "numeric", flag = "logical", g = "factor"))

## ---------------------------------------------------------------- cases
make_case("missing_values_reml", "sleepstudy_na.csv", "Reaction ~ Days + (1 | Subject)", TRUE)
make_case("uncorrelated_reml", "sleepstudy.csv", "Reaction ~ Days + (Days || Subject)", TRUE)
make_case("zero_slope_reml", "sleepstudy.csv", "Reaction ~ Days + (0 + Days | Subject)", TRUE)
make_case("slope_only_syntax_ml", "sleepstudy.csv", "Reaction ~ Days + (1 + Days | Subject)", FALSE)
make_case("interaction_grouping_reml", "cake.csv", "angle ~ recipe * temp + (1 | recipe:replicate)", TRUE)
make_case("nested_ml", "pastes.csv", "strength ~ 1 + (1 | batch/cask)", FALSE)
make_case("no_intercept_reml", "cake.csv", "angle ~ 0 + recipe + temp + (1 | replicate)", TRUE)
make_case("minus_one_reml", "sleepstudy.csv", "Reaction ~ Days - 1 + (1 | Subject)", TRUE)
make_case("transforms_reml", "sleepstudy.csv", "log(Reaction) ~ Days + I(Days^2) + (1 | Subject)", TRUE)
make_case("two_factors_reml", "two_factors.csv", "y ~ a * b + x + (1 + x | g) + (1 | h)", TRUE)
make_case("colon_fixed_reml", "two_factors.csv", "y ~ a + a:x + (1 | g)", TRUE)
make_case("rank_deficient_reml", "two_factors.csv", "y ~ x + x2 + (1 | g)", TRUE)
make_case("integer_groups_reml", "integer_groups.csv", "y ~ x + (1 | g)", TRUE)
make_case("crossed_ml", "penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)", FALSE)
make_case("correlated_three_reml", "correlated_three.csv", "y ~ x1 + x2 + (1 + x1 + x2 | g)", TRUE)
make_case("logical_fixed_reml", "logical_flag.csv", "y ~ x + flag + (1 | g)", TRUE)
