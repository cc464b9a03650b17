## Reference fits from lme4::glmer (generalized linear mixed models).  Run from anywhere:
##   Rscript tests/data/glmer/make_glmer.R
## Writes the data files (<data>.csv, <data>_newdata.csv) and one <case>.json per
## fit next to this script, plus anova_cbpp.json and errors.json.  Every field is
## described in README.md beside this script.  The timing fit of a large
## users x items data set is in make_glmer_timing.R.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted by code point, like Python

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else getwd()

## ---------------------------------------------------------------- helpers
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

write_json <- function(x, file) {
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
                    pretty = TRUE),
             file.path(out_dir, file))
}

## An R table (matrix or data frame) as {rownames, columns, values: [[row], ...]}.
as_table <- function(x) {
  x <- as.data.frame(x, stringsAsFactors = FALSE, check.names = FALSE)
  for (j in seq_along(x)) if (is.factor(x[[j]])) x[[j]] <- as.character(x[[j]])
  list(rownames = I(rownames(x)), columns = I(names(x)),
       values = lapply(seq_len(nrow(x)), function(i) unname(lapply(x, function(col) col[i]))))
}

## Run expr, collecting warnings and messages instead of printing them.
capture_conditions <- function(expr) {
  warns <- character(0)
  msgs <- character(0)
  value <- withCallingHandlers(expr,
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = value, warnings = warns, messages = msgs)
}

## The error message of expr (null if none) and the distinct warnings before it.
error_of <- function(expr) {
  warns <- character(0)
  err <- tryCatch(withCallingHandlers({ expr; NULL },
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) invokeRestart("muffleMessage")),
    error = function(e) conditionMessage(e))
  list(error = err, warnings = I(unique(warns)), warning_count = length(warns))
}

## glmer call on data bound to the name `data_name` (so summary prints "Data: cbpp").
glmer_call <- function(formula, family, nAGQ, data_name, weights = NULL, offset = NULL) {
  cl <- call("glmer", str2lang(formula), data = as.name(data_name), family = str2lang(family))
  if (nAGQ != 1) cl$nAGQ <- as.integer(nAGQ)
  if (!is.null(weights)) cl$weights <- str2lang(weights)
  if (!is.null(offset)) cl$offset <- str2lang(offset)
  cl
}

data_env <- function(file) {
  env <- new.env(parent = globalenv())
  assign(sub("\\.csv$", "", file), read_data(file), envir = env)
  env
}

ctrl <- glmerControl()
glmer_control <- list(
  optimizer = I(ctrl$optimizer), nAGQ0initStep = ctrl$nAGQ0initStep, tolPwrss = ctrl$tolPwrss,
  boundary.tol = ctrl$boundary.tol, check.conv.grad.tol = ctrl$checkConv$check.conv.grad$tol,
  check.conv.singular.tol = ctrl$checkConv$check.conv.singular$tol,
  check.conv.hess.tol = ctrl$checkConv$check.conv.hess$tol)

fits <- list()  # id -> fitted model, for anova

## ---------------------------------------------------------------- one case
make_case <- function(id, file, formula, family = "binomial", nAGQ = 1L, weights = NULL,
                      offset = NULL, newdata = NULL, notes = NULL, summary_text = TRUE) {
  data_name <- sub("\\.csv$", "", file)
  env <- data_env(file)
  d <- get(data_name, envir = env)
  cl <- glmer_call(formula, family, nAGQ, data_name, weights, offset)

  t0 <- proc.time()
  cc <- capture_conditions(eval(cl, env))
  dt <- proc.time() - t0
  fit <- cc$value
  secs <- dt[["elapsed"]]
  cpu <- dt[["user.self"]] + dt[["sys.self"]]
  for (k in 1:2) {  # three fits in all; times are lme4's, for orientation
    dt <- system.time(suppressWarnings(suppressMessages(eval(cl, env))))
    secs <- c(secs, dt[["elapsed"]])
    cpu <- c(cpu, dt[["user.self"]] + dt[["sys.self"]])
  }

  n <- nobs(fit)
  stopifnot(n == nrow(d))  # no case here drops rows
  idx <- if (n <= 500) seq_len(n) else seq_len(200)
  fam <- family(fit)
  ll <- logLik(fit)
  V <- as.matrix(vcov(fit))
  re <- as.data.frame(ranef(fit, condVar = TRUE))
  oi <- fit@optinfo
  cmp <- fit@devcomp$cmp

  pred <- NULL
  if (!is.null(newdata)) {
    nd <- read_data(newdata)
    p <- capture_conditions(list(
      link_population = unname(predict(fit, newdata = nd, re.form = NA, type = "link")),
      response_population = unname(predict(fit, newdata = nd, re.form = NA, type = "response")),
      link_conditional = unname(predict(fit, newdata = nd, re.form = NULL,
                                        allow.new.levels = TRUE, type = "link")),
      response_conditional = unname(predict(fit, newdata = nd, re.form = NULL,
                                            allow.new.levels = TRUE, type = "response"))))
    pred <- c(list(newdata = newdata, newdata_table = as_table(nd)), p$value,
              list(warnings = I(p$warnings), messages = I(p$messages),
                   new_level_without_allow = error_of(predict(fit, newdata = nd, re.form = NULL))))
  }

  res <- list(
    id = id, data = file, formula = formula, family = fam$family, link = fam$link,
    family_call = family, nAGQ = as.integer(nAGQ), weights = weights, offset = offset,
    call = paste(deparse(fit@call, width.cutoff = 500L), collapse = " "),
    lme4_version = as.character(packageVersion("lme4")),
    R_version = paste(R.version$major, R.version$minor, sep = "."),
    OPENBLAS_NUM_THREADS = Sys.getenv("OPENBLAS_NUM_THREADS", NA),
    notes = notes,
    nobs = n,
    ngroups = as.list(ngrps(fit)),
    theta = I(unname(getME(fit, "theta"))),
    theta_names = I(names(getME(fit, "theta"))),
    beta = as.list(fixef(fit)),
    sigma = sigma(fit),
    vcov = as_table(V),
    stderr = as.list(sqrt(diag(V))),
    coefficients = as_table(summary(fit)$coefficients),
    logLik = as.numeric(ll),
    df = attr(ll, "df"),
    df_residual = df.residual(fit),
    AIC = AIC(fit), BIC = BIC(fit),
    deviance = deviance(fit),
    minus_2_logLik = -2 * as.numeric(ll),
    devcomp_cmp = as.list(cmp),
    resp_aic = fit@resp$aic(),
    varcorr = as_table(as.data.frame(VarCorr(fit))),
    ranef = as_table(re),
    singular = isSingular(fit),
    row_index = idx,
    row_index_note = if (n <= 500) "all rows (1-based rows of the CSV)" else
      "the first 200 rows (1-based rows of the CSV)",
    response_y = fit@resp$y[idx],
    prior_weights = unname(weights(fit))[idx],
    model_offset = fit@resp$offset[idx],
    fitted = unname(fitted(fit))[idx],
    linear_predictor = unname(predict(fit, type = "link"))[idx],
    linear_predictor_population = unname(predict(fit, re.form = NA, type = "link"))[idx],
    residuals = list(
      deviance = unname(residuals(fit, type = "deviance"))[idx],
      pearson = unname(residuals(fit, type = "pearson"))[idx],
      response = unname(residuals(fit, type = "response"))[idx],
      working = unname(residuals(fit, type = "working"))[idx]),
    predict = pred,
    warnings = I(cc$warnings),
    messages = I(cc$messages),
    optinfo = list(
      optimizer = oi$optimizer, message = oi$message, feval = oi$feval,
      warnings = I(as.character(unlist(oi$warnings))),
      conv_opt = oi$conv$opt,
      conv_lme4_code = I(as.integer(unlist(oi$conv$lme4$code))),
      conv_lme4_messages = I(as.character(unlist(oi$conv$lme4$messages))),
      par = I(oi$val),
      gradient = if (is.null(oi$derivs$gradient)) NULL else I(oi$derivs$gradient),
      hessian = if (is.null(oi$derivs$Hessian)) NULL else unname(oi$derivs$Hessian)),
    glmer_control = glmer_control,
    lme4_fit_seconds = I(round(secs, 3)),
    lme4_fit_seconds_median = round(median(secs), 3),
    lme4_fit_cpu_seconds = I(round(cpu, 3)),
    lme4_fit_cpu_seconds_median = round(median(cpu), 3),
    summary_text = if (summary_text) I(capture.output(summary(fit))) else NULL,
    column_types = as.list(col_types[[file]]),
    newdata_column_types = if (is.null(newdata)) NULL else as.list(col_types[[newdata]])
  )
  write_json(res, paste0(id, ".json"))
  cat(sprintf("%-24s %s [%s/%s, nAGQ=%d]\n  theta = %s  -2logLik = %.10g  %.2fs  singular=%s\n  warnings: %s\n  messages: %s  conv: %s\n",
              id, formula, fam$family, fam$link, as.integer(nAGQ),
              paste(signif(getME(fit, "theta"), 8), collapse = ", "), -2 * as.numeric(ll),
              median(secs), isSingular(fit), paste(cc$warnings, collapse = " | "),
              paste(cc$messages, collapse = " | "),
              paste(unlist(oi$conv$lme4$messages), collapse = " | ")))
  fits[[id]] <<- fit
  invisible(fit)
}

## ---------------------------------------------------------------- datasets
## cbpp (lme4): herd 1..15 written as text, so read back its levels sort as "1" < "10" < ... < "9".
cb <- data.frame(herd = as.character(cbpp$herd), incidence = cbpp$incidence,
                 size = cbpp$size, period = as.character(cbpp$period))
write_data(cb, "cbpp.csv", c(herd = "factor", incidence = "numeric", size = "numeric",
                             period = "factor"))
write_data(data.frame(herd = c("1", "7", "15", "new", "new"), period = c("1", "2", "4", "1", "3")),
           "cbpp_newdata.csv", c(herd = "factor", period = "factor"))

## grouseticks (lme4); cHEIGHT is lme4's column HEIGHT - mean(HEIGHT)
gt <- data.frame(INDEX = as.character(grouseticks$INDEX), TICKS = grouseticks$TICKS,
                 BROOD = as.character(grouseticks$BROOD), HEIGHT = grouseticks$HEIGHT,
                 YEAR = as.character(grouseticks$YEAR), LOCATION = as.character(grouseticks$LOCATION),
                 cHEIGHT = grouseticks$cHEIGHT)
write_data(gt, "grouseticks.csv", c(INDEX = "factor", TICKS = "numeric", BROOD = "factor",
                                    HEIGHT = "numeric", YEAR = "factor", LOCATION = "factor",
                                    cHEIGHT = "numeric"))
gt_new <- data.frame(INDEX = c("1", "new1", "new2", "new3"), BROOD = c("501", "501", "new", "new"),
                     LOCATION = c("32", "32", "36", "new"), YEAR = c("95", "96", "97", "96"),
                     HEIGHT = c(465, 500, 520, 450))
gt_new$cHEIGHT <- gt_new$HEIGHT - mean(grouseticks$HEIGHT)
write_data(gt_new, "grouseticks_newdata.csv",
           c(INDEX = "factor", BROOD = "factor", LOCATION = "factor", YEAR = "factor",
             HEIGHT = "numeric", cHEIGHT = "numeric"))

## Poisson counts with exposure: 40 groups x 15
set.seed(21)
G <- 40; m <- 15; n <- G * m; gi <- rep(1:G, each = m)
exposure <- round(runif(n, 0.5, 5), 3)
x <- round(rnorm(n), 4)
u <- rnorm(G, sd = 0.6)
y <- rpois(n, exposure * exp(-0.3 + 0.4 * x + u[gi]))
write_data(data.frame(y, x, exposure, g = sprintf("p%02d", gi)), "poisson_offset.csv",
           c(y = "numeric", x = "numeric", exposure = "numeric", g = "factor"))
write_data(data.frame(x = c(0, 1, -1, 0.5), exposure = c(1, 2.5, 0.7, 3),
                      g = c("p01", "p05", "p40", "new")),
           "poisson_offset_newdata.csv", c(x = "numeric", exposure = "numeric", g = "factor"))

## Binary with correlated random intercept and slope: 60 groups x 30
set.seed(31)
G <- 60; m <- 30; n <- G * m; gi <- rep(1:G, each = m)
x <- round(rnorm(n), 4)
S <- matrix(c(1.0^2, 0.4 * 1.0 * 0.6, 0.4 * 1.0 * 0.6, 0.6^2), 2)
U <- matrix(rnorm(2 * G), G) %*% chol(S)
y <- rbinom(n, 1, plogis(-0.4 + 0.8 * x + U[gi, 1] + U[gi, 2] * x))
write_data(data.frame(y, x, g = sprintf("s%02d", gi)), "binary_slope.csv",
           c(y = "numeric", x = "numeric", g = "factor"))
write_data(data.frame(x = c(0, 1.5, -1, 1), g = c("s01", "s02", "s60", "new")),
           "binary_slope_newdata.csv", c(x = "numeric", g = "factor"))

## VerbAgg (lme4): r2 is "N"/"Y"; item levels sort by code point when read back
va <- data.frame(r2 = as.character(VerbAgg$r2), Anger = VerbAgg$Anger,
                 Gender = as.character(VerbAgg$Gender), btype = as.character(VerbAgg$btype),
                 situ = as.character(VerbAgg$situ), id = as.character(VerbAgg$id),
                 item = as.character(VerbAgg$item))
write_data(va, "verbagg.csv", c(r2 = "factor", Anger = "numeric", Gender = "factor",
                                btype = "factor", situ = "factor", id = "factor", item = "factor"))
write_data(data.frame(Anger = c(20, 11, 30, 25), Gender = c("M", "F", "F", "M"),
                      btype = c("curse", "scold", "shout", "curse"), situ = c("other", "self", "self", "other"),
                      id = c("1", "2", "new", "new"), item = c("S1WantCurse", "S3DoShout", "S2WantScold", "new")),
           "verbagg_newdata.csv", c(Anger = "numeric", Gender = "factor", btype = "factor",
                                    situ = "factor", id = "factor", item = "factor"))

## Binary with no group effect at all: 12 groups x 25 (lme4 estimates theta = 0)
set.seed(73)
G <- 12; m <- 25; n <- G * m; gi <- rep(1:G, each = m)
x <- round(rnorm(n), 4)
y <- rbinom(n, 1, plogis(0.2 + 0.5 * x))
write_data(data.frame(y, x, g = sprintf("z%02d", gi)), "binary_singular.csv",
           c(y = "numeric", x = "numeric", g = "factor"))
write_data(data.frame(x = c(0, 1, -0.5), g = c("z01", "z12", "new")),
           "binary_singular_newdata.csv", c(x = "numeric", g = "factor"))

## One binary response written three ways: 0/1, logical, two-level text ("no" < "yes")
set.seed(41)
G <- 25; m <- 20; n <- G * m; gi <- rep(1:G, each = m)
x <- round(rnorm(n), 4)
u <- rnorm(G, sd = 0.8)
y <- rbinom(n, 1, plogis(0.3 - 0.6 * x + u[gi]))
write_data(data.frame(y, y_lgl = y == 1, y_fac = ifelse(y == 1, "yes", "no"), x,
                      g = sprintf("c%02d", gi)), "binary_codes.csv",
           c(y = "numeric", y_lgl = "logical", y_fac = "factor", x = "numeric", g = "factor"))
write_data(data.frame(x = c(0, 1, -1), g = c("c01", "c25", "new")),
           "binary_codes_newdata.csv", c(x = "numeric", g = "factor"))

## Positive continuous responses, 30 groups x 20, mu = exp(1 + 0.3 x + u), u ~ N(0, 0.5^2)
set.seed(51)
G <- 30; m <- 20; n <- G * m; gi <- rep(1:G, each = m)
x <- round(rnorm(n), 4)
u <- rnorm(G, sd = 0.5)
mu <- exp(1 + 0.3 * x + u[gi])
y_gamma <- signif(rgamma(n, shape = 2, rate = 2 / mu), 6)     # dispersion 1/shape = 0.5
## inverse Gaussian(mu, lambda = 1/0.05) by Michael, Schucany & Haas (1976); dispersion 0.05
rinvgauss <- function(mu, lambda) {
  v <- rnorm(length(mu))^2
  x1 <- mu + mu^2 * v / (2 * lambda) - mu / (2 * lambda) * sqrt(4 * mu * lambda * v + mu^2 * v^2)
  ifelse(runif(length(mu)) <= mu / (mu + x1), x1, mu^2 / x1)
}
set.seed(61)
y_ig <- signif(rinvgauss(mu, 1 / 0.05), 6)
write_data(data.frame(y_gamma, y_ig, x, g = sprintf("q%02d", gi)), "positive.csv",
           c(y_gamma = "numeric", y_ig = "numeric", x = "numeric", g = "factor"))
write_data(data.frame(x = c(0, 1, -1), g = c("q01", "q30", "new")),
           "positive_newdata.csv", c(x = "numeric", g = "factor"))

## ---------------------------------------------------------------- cases
cbpp_f <- "cbind(incidence, size - incidence) ~ period + (1 | herd)"
make_case("cbpp_logit_agq0", "cbpp.csv", cbpp_f, "binomial", 0, newdata = "cbpp_newdata.csv",
          notes = "nAGQ = 0: beta is optimised inside PIRLS, only theta by the optimizer; lme4's nAGQ = 1 fit starts from this fit")
make_case("cbpp_logit_agq1", "cbpp.csv", cbpp_f, "binomial", 1, newdata = "cbpp_newdata.csv")
make_case("cbpp_logit_agq9", "cbpp.csv", cbpp_f, "binomial", 9, newdata = "cbpp_newdata.csv")
make_case("cbpp_logit_agq25", "cbpp.csv", cbpp_f, "binomial", 25, newdata = "cbpp_newdata.csv")
make_case("cbpp_probit_agq1", "cbpp.csv", cbpp_f, "binomial(link = \"probit\")", 1,
          newdata = "cbpp_newdata.csv")
make_case("cbpp_probit_agq9", "cbpp.csv", cbpp_f, "binomial(link = \"probit\")", 9,
          newdata = "cbpp_newdata.csv")
make_case("cbpp_cloglog_agq1", "cbpp.csv", cbpp_f, "binomial(link = \"cloglog\")", 1,
          newdata = "cbpp_newdata.csv")
make_case("cbpp_proportion_weights", "cbpp.csv", "incidence / size ~ period + (1 | herd)",
          "binomial", 1, weights = "size", newdata = "cbpp_newdata.csv",
          notes = "the same fit as cbpp_logit_agq1, response given as proportions with weights = size")
make_case("cbpp_proportion_weights_agq9", "cbpp.csv", "incidence / size ~ period + (1 | herd)",
          "binomial", 9, weights = "size", newdata = "cbpp_newdata.csv",
          notes = "the same fit as cbpp_logit_agq9, response given as proportions with weights = size")
make_case("cbpp_intercept_only", "cbpp.csv", "cbind(incidence, size - incidence) ~ 1 + (1 | herd)",
          "binomial", 1, newdata = "cbpp_newdata.csv", summary_text = FALSE,
          notes = "the smaller model of anova_cbpp.json")

make_case("grouseticks_poisson", "grouseticks.csv",
          "TICKS ~ YEAR + HEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)", "poisson", 1,
          newdata = "grouseticks_newdata.csv",
          notes = "lme4's ?grouseticks example with uncentred HEIGHT; lme4 warns (gradient and eigenvalue checks)")
make_case("grouseticks_poisson_centred", "grouseticks.csv",
          "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)", "poisson", 1,
          newdata = "grouseticks_newdata.csv",
          notes = "the same model with centred height (cHEIGHT = HEIGHT - mean(HEIGHT)); no warnings")

make_case("poisson_offset_formula", "poisson_offset.csv", "y ~ x + offset(log(exposure)) + (1 | g)",
          "poisson", 1, newdata = "poisson_offset_newdata.csv")
make_case("poisson_offset_argument", "poisson_offset.csv", "y ~ x + (1 | g)", "poisson", 1,
          offset = "log(exposure)", newdata = "poisson_offset_newdata.csv",
          notes = "offset = log(exposure) as glmer's argument: same fit as poisson_offset_formula, but lme4's predict() with newdata leaves this offset out (offset 0)")
make_case("poisson_no_offset", "poisson_offset.csv", "y ~ x + (1 | g)", "poisson", 1,
          newdata = "poisson_offset_newdata.csv", summary_text = FALSE,
          notes = "the same counts without the exposure offset")

make_case("binary_slope", "binary_slope.csv", "y ~ x + (1 + x | g)", "binomial", 1,
          newdata = "binary_slope_newdata.csv")

make_case("verbagg", "verbagg.csv", "r2 ~ (Anger + Gender + btype + situ) + (1 | id) + (1 | item)",
          "binomial", 1, newdata = "verbagg_newdata.csv",
          notes = "r2 is a factor with levels N, Y: lme4 codes the first level N as 0 (failure) and Y as 1, so the model is for P(r2 = Y)")

make_case("binary_singular", "binary_singular.csv", "y ~ x + (1 | g)", "binomial", 1,
          newdata = "binary_singular_newdata.csv",
          notes = "data simulated without any group effect; lme4 estimates theta = 0 (singular)")

make_case("binary_numeric", "binary_codes.csv", "y ~ x + (1 | g)", "binomial", 1,
          newdata = "binary_codes_newdata.csv", notes = "response 0/1 numeric")
make_case("binary_logical", "binary_codes.csv", "y_lgl ~ x + (1 | g)", "binomial", 1,
          newdata = "binary_codes_newdata.csv", notes = "response logical: FALSE = 0, TRUE = 1; same fit as binary_numeric")
make_case("binary_factor", "binary_codes.csv", "y_fac ~ x + (1 | g)", "binomial", 1,
          newdata = "binary_codes_newdata.csv",
          notes = "response a factor with levels no, yes: the first level (no) is 0 (failure), any other level 1; same fit as binary_numeric")

make_case("gamma_log", "positive.csv", "y_gamma ~ x + (1 | g)", "Gamma(link = \"log\")", 1,
          newdata = "positive_newdata.csv",
          notes = "sigma is lme4's residual scale; sigma^2 estimates the Gamma dispersion (simulated 0.5)")
make_case("inverse_gaussian_log", "positive.csv", "y_ig ~ x + (1 | g)",
          "inverse.gaussian(link = \"log\")", 1, newdata = "positive_newdata.csv",
          notes = "sigma^2 estimates the inverse Gaussian dispersion (simulated 0.05); the default link 1/mu^2 fails, see errors.json")

## ---------------------------------------------------------------- anova of a nested pair
fit0 <- fits[["cbpp_intercept_only"]]
fit1 <- fits[["cbpp_logit_agq1"]]
av <- anova(fit0, fit1)
write_json(list(
  id = "anova_cbpp", fit0 = "cbpp_intercept_only", fit1 = "cbpp_logit_agq1",
  formula0 = "cbind(incidence, size - incidence) ~ 1 + (1 | herd)", formula1 = cbpp_f,
  call = "anova(fit0, fit1)",
  table = as_table(av),
  text = I(capture.output(print(av)))), "anova_cbpp.json")
print(av)

## ---------------------------------------------------------------- errors for bad input
cbpp_env <- data_env("cbpp.csv")
cbpp_d <- get("cbpp", envir = cbpp_env)
bad <- list()
bad_case <- function(id, what, formula, family, d, weights = NULL) {
  env <- new.env(parent = globalenv()); assign("bad", d, envir = env)
  cl <- glmer_call(formula, family, 1, "bad", weights)
  bad[[length(bad) + 1]] <<- c(list(id = id, what = what, formula = formula, family = family,
                                    weights = weights), error_of(eval(cl, env)))
}
bad_case("binomial_counts_no_weights", "binomial response with values above 1 (counts) and no weights",
         "incidence ~ period + (1 | herd)", "binomial", cbpp_d)
bad_case("binomial_negative_response", "binomial 0/1-type response with a value -1",
         "y ~ period + (1 | herd)", "binomial",
         transform(cbpp_d, y = ifelse(seq_along(herd) == 1, -1, as.numeric(incidence > 0))))
d1 <- cbpp_d; d1$incidence[1] <- -1
bad_case("poisson_negative_count", "incidence[1] = -1", "incidence ~ period + (1 | herd)", "poisson", d1)
d2 <- cbpp_d; d2$incidence[1] <- 20  # size[1] is 14
bad_case("cbind_successes_above_trials", "incidence[1] = 20 > size[1] = 14 in cbind(incidence, size - incidence)",
         cbpp_f, "binomial", d2)
bad_case("proportion_above_one_weights", "incidence[1] = 20 > size[1] = 14, as proportions with weights = size",
         "incidence / size ~ period + (1 | herd)", "binomial", d2, weights = "size")
d3 <- cbpp_d; d3$incidence[1] <- 2.5
bad_case("poisson_non_integer", "incidence[1] = 2.5 (a warning, not an error)",
         "incidence ~ period + (1 | herd)", "poisson", d3)
bad_case("cbind_non_integer", "incidence[1] = 2.5 in cbind(incidence, size - incidence) (a warning, not an error)",
         cbpp_f, "binomial", d3)
pos <- get("positive", envir = data_env("positive.csv"))
bad_case("inverse_gaussian_default_link", "inverse.gaussian with its default link 1/mu^2 on positive.csv",
         "y_ig ~ x + (1 | g)", "inverse.gaussian", pos)
bad_case("gamma_nonpositive", "Gamma response with a 0", "y_gamma ~ x + (1 | g)",
         "Gamma(link = \"log\")", transform(pos, y_gamma = ifelse(seq_along(g) == 1, 0, y_gamma)))
bad_case("binomial_three_level_factor", "factor response with 3 levels (lme4 treats levels after the first as success)",
         "period ~ 1 + (1 | herd)", "binomial", cbpp_d)
write_json(list(lme4_version = as.character(packageVersion("lme4")), cases = bad), "errors.json")
for (b in bad) cat(sprintf("%-32s error: %s\n%34s warnings: %s\n", b$id, format(b$error), "",
                           paste(b$warnings, collapse = " | ")))
