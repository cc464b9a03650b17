## Reference numbers from lme4::lmer for its wider interface: prior weights,
## offsets, contrasts, functions in formulas, na.exclude, update/refit,
## coef/rstudent/cooks.distance/influence, predict with re.form, the order of
## random-effects terms on ties, lmerControl checks and optimizers, subset.
## Run from anywhere:
##   Rscript tests/data/interface/make_interface.R
## Writes the CSVs and one <case>.json per case next to this script; README.md
## beside it describes every file and field.  Fit fields follow
## tests/data/lme4/make_cases.R.

suppressPackageStartupMessages({
  library(lme4)
  library(splines)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted by code point, like Python

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else getwd()

## ---------------------------------------------------------------- data files
col_types <- list()       # file name -> named character vector column -> type
ordered_levels <- list()  # file name -> list column -> level order (ordered factors)

write_data <- function(df, file, types, levels = list()) {
  stopifnot(setequal(names(types), names(df)))
  stopifnot(setequal(names(levels), names(types)[types == "ordered"]))
  col_types[[file]] <<- types[names(df)]
  ordered_levels[[file]] <<- levels
  for (col in names(df)) if (is.factor(df[[col]])) df[[col]] <- as.character(df[[col]])
  write.csv(df, file.path(out_dir, file), row.names = FALSE, na = "")
}

read_data <- function(file) {
  types <- col_types[[file]]
  cls <- c(numeric = "numeric", factor = "factor", logical = "logical",
           ordered = "character")[types]
  d <- read.csv(file.path(out_dir, file), colClasses = setNames(unname(cls), names(types)),
                na.strings = "")
  for (col in names(ordered_levels[[file]]))
    d[[col]] <- factor(d[[col]], levels = ordered_levels[[file]][[col]], ordered = TRUE)
  d
}

## ---------------------------------------------------------------- helpers
## evaluate an expression text in env, collecting warnings and messages
run_caught <- function(text, env) {
  warns <- character(0)
  msgs <- character(0)
  value <- withCallingHandlers(
    eval(parse(text = text), envir = env),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = value, warnings = warns, messages = msgs)
}

## the error message an expression gives (NULL when it gives none)
error_of <- function(text, env) {
  tryCatch({
    suppressWarnings(suppressMessages(eval(parse(text = text), envir = env)))
    NULL
  }, error = function(e) conditionMessage(e))
}

deparse1l <- function(x) paste(trimws(deparse(x, width.cutoff = 500L)), collapse = " ")

group_table <- function(tab) lapply(names(tab), function(g) list(
  group = g, levels = rownames(tab[[g]]), columns = colnames(tab[[g]]),
  values = unname(as.matrix(tab[[g]]))))

## named vector -> JSON object, {} when empty
obj <- function(x) if (length(x)) as.list(x) else setNames(list(), character(0))

## a 0 x 0 matrix would become [], a 1 x 1 matrix stays [[v]]
mat <- function(m) unname(as.matrix(m))

## the standard fit fields of make_cases.R, for a fitted lmerMod
fit_fields <- function(fit, file) {
  REML <- isREML(fit)
  mf <- model.frame(fit)
  idx <- as.integer(rownames(mf))  # rows of the CSV that entered the fit
  stopifnot(length(idx) == nobs(fit))
  na_act <- attr(mf, "na.action")
  ml_fit <- if (REML) suppressWarnings(suppressMessages(refitML(fit))) else fit
  ll <- logLik(fit)
  V <- as.matrix(vcov(fit))
  vc <- as.data.frame(VarCorr(fit))
  varcorr <- lapply(seq_len(nrow(vc)), function(i) list(
    grp = vc$grp[i], var1 = vc$var1[i], var2 = vc$var2[i],  # NA -> null
    vcov = vc$vcov[i], sdcor = vc$sdcor[i]))
  re <- ranef(fit, condVar = TRUE)
  rl <- as.data.frame(re)
  X <- getME(fit, "X")
  cnms <- getME(fit, "cnms")
  keep <- function(v) unname(v[!is.na(v)])  # na.exclude pads with NA; keep the fitted rows
  list(
    nobs = nobs(fit),
    ngroups = as.list(ngrps(fit)),
    term_groups = I(names(cnms)),
    cnms = lapply(seq_along(cnms), function(i) list(group = names(cnms)[i], columns = I(cnms[[i]]))),
    theta = I(unname(getME(fit, "theta"))),
    theta_names = I(names(getME(fit, "theta"))),
    beta = obj(fixef(fit)),
    sigma = sigma(fit),
    objective = if (REML) REMLcrit(fit) else deviance(fit),
    deviance_ml = deviance(ml_fit),
    logLik = as.numeric(ll),
    df = attr(ll, "df"),
    AIC = AIC(fit), BIC = BIC(fit),
    vcov = unname(V),
    stderr = I(unname(sqrt(diag(V)))),
    varcorr = varcorr,
    ranef = group_table(re),
    ranef_long = list(grpvar = I(as.character(rl$grpvar)), term = I(as.character(rl$term)),
                      grp = I(as.character(rl$grp)), condval = I(rl$condval), condsd = I(rl$condsd)),
    hat_trace = sum(hatvalues(fit), na.rm = TRUE),
    singular = isSingular(fit),
    fitted_index = I(idx),
    fitted_index_note = paste("1-based rows of the CSV that entered the fit (rows dropped for NA",
                              "or by subset are missing); fitted/residuals are given for these rows only"),
    fitted = I(keep(fitted(fit))),
    residuals = I(keep(residuals(fit))),
    n_dropped = length(na_act),
    fixef_dropped = I(as.character(names(attr(X, "col.dropped")))),
    optimizer = fit@optinfo$optimizer,
    column_types = as.list(col_types[[file]]),
    ordered_levels = if (length(ordered_levels[[file]])) lapply(ordered_levels[[file]], I)
                     else setNames(list(), character(0))
  )
}

write_json <- function(res, id) {
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
                    pretty = TRUE),
             file.path(out_dir, paste0(id, ".json")))
}

## One case.  call: the R expression (text) that makes the fit, evaluated where
## `d` is the CSV as read back (and `base` a base fit, for update/refit cases).
## formula: the formula as written (NULL: as R deparses the fit's formula).
## lmer_args: the arguments of lmer other than formula and data, as text.
## extra(fit, env): a list of further fields.
make_case <- function(id, file, call, formula = NULL, lmer_args = "", extra = NULL,
                      base = NULL, time_it = TRUE, note = NULL) {
  env <- new.env()
  env$d <- read_data(file)
  env$base <- base
  r <- run_caught(call, env)
  fit <- r$value
  secs <- if (time_it) median(replicate(3, system.time(
    suppressWarnings(suppressMessages(eval(parse(text = call), envir = env))))[["elapsed"]])) else NULL
  fdep <- deparse1l(formula(fit))
  res <- c(
    list(id = id, data = file,
         formula = if (is.null(formula)) fdep else formula,
         formula_deparsed = fdep,
         call = call, lmer_args = lmer_args, REML = isREML(fit),
         lme4_version = as.character(packageVersion("lme4"))),
    fit_fields(fit, file),
    list(lme4_fit_seconds_median = secs,
         warnings = I(r$warnings), messages = I(r$messages)),
    if (!is.null(note)) list(note = note),
    if (!is.null(extra)) extra(fit, env)
  )
  write_json(res, id)
  cat(sprintf("%-28s %s  REML=%s\n  theta = %s\n  objective = %.10g\n  warnings: %s\n  messages: %s\n",
              id, res$formula, res$REML, paste(signif(getME(fit, "theta"), 8), collapse = ", "),
              res$objective, paste(r$warnings, collapse = " | "), paste(r$messages, collapse = " | ")))
  invisible(fit)
}

## ---------------------------------------------------------------- datasets
## sleepstudy with generated prior weights, offsets, a covariate and a new response
set.seed(101)
ss <- sleepstudy[, c("Reaction", "Days", "Subject")]
ss$Subject <- as.character(ss$Subject)
n <- nrow(ss)
ss$w <- round(runif(n, 0.25, 3), 3)
ss$off <- round(rnorm(n, sd = 15), 3)
ss$off2 <- round(runif(n, -10, 10), 3)
ss$x <- round(rnorm(n), 4)
subj_shift <- setNames(rnorm(18, sd = 25), unique(ss$Subject))
ss$Reaction_new <- round(ss$Reaction + 0.5 * ss$Days * rnorm(1) + subj_shift[ss$Subject] +
                           rnorm(n, sd = 20), 4)
ss_types <- c(Reaction = "numeric", Days = "numeric", Subject = "factor", w = "numeric",
              off = "numeric", off2 = "numeric", x = "numeric", Reaction_new = "numeric")
write_data(ss, "sleepstudy_extra.csv", ss_types)

## new data for predictions from the sleepstudy fits: known subjects, Days beyond the data (11)
nd_days <- data.frame(Days = c(0, 1.5, 4, 7.25, 9, 11),
                      Subject = c("308", "309", "330", "350", "371", "372"),
                      w = c(1, 1, 1, 1, 1, 1),
                      off = c(0, 10, -5, 2.5, 20, -12),
                      off2 = c(1, -1, 3, 0, -4, 6),
                      x = c(0.5, -1, 0, 1.25, 2, -0.75))
write_data(nd_days, "newdata_days.csv",
           c(Days = "numeric", Subject = "factor", w = "numeric", off = "numeric",
             off2 = "numeric", x = "numeric"))

## new data with a subject not in the fit ("999"), and one with a missing subject
nd_subj <- data.frame(Days = c(0, 3.5, 9, 2, 7, 5),
                      Subject = c("308", "309", "372", "999", "999", "308"))
write_data(nd_subj, "newdata_subjects.csv", c(Days = "numeric", Subject = "factor"))
nd_na <- data.frame(Days = c(1, 4, 6), Subject = c("308", NA, "999"))
write_data(nd_na, "newdata_subject_na.csv", c(Days = "numeric", Subject = "factor"))

## Penicillin (crossed plate x sample) with generated prior weights
set.seed(102)
pn <- data.frame(diameter = Penicillin$diameter, plate = as.character(Penicillin$plate),
                 sample = as.character(Penicillin$sample))
pn$w <- round(runif(nrow(pn), 0.5, 2), 3)
write_data(pn, "penicillin_w.csv", c(diameter = "numeric", plate = "factor", sample = "factor",
                                     w = "numeric"))

## Machines (nlme): Worker written as text, so read back with levels "1".."6"
data(Machines, package = "nlme")
mc <- data.frame(score = Machines$score, Worker = as.character(Machines$Worker),
                 Machine = as.character(Machines$Machine))
write_data(mc, "machines.csv", c(score = "numeric", Worker = "factor", Machine = "factor"))

## Dyestuff
dy <- data.frame(Yield = Dyestuff$Yield, Batch = as.character(Dyestuff$Batch))
write_data(dy, "dyestuff.csv", c(Yield = "numeric", Batch = "factor"))

## an ordered factor with 5 levels in a non-alphabetical order, and a factor whose
## levels look like numbers ("10" < "2" < "20" < "5" in sorted order)
set.seed(103)
n <- 240
g <- sprintf("g%02d", rep(1:24, each = 10))
type_levels <- c("none", "low", "medium", "high", "extreme")
Type <- sample(type_levels, n, replace = TRUE)
dose <- sample(c("2", "5", "10", "20"), n, replace = TRUE)
x <- round(rnorm(n), 4)
gi <- as.integer(substr(g, 2, 3))
y <- round(2 + c(none = 0, low = 0.4, medium = 1.1, high = 1.5, extreme = 1.6)[Type] +
             0.05 * as.numeric(dose) + 0.3 * x + rnorm(24, sd = 0.8)[gi] + rnorm(n, sd = 0.6), 4)
write_data(data.frame(y = unname(y), Type, dose, x, g), "ordered.csv",
           c(y = "numeric", Type = "ordered", dose = "factor", x = "numeric", g = "factor"),
           levels = list(Type = type_levels))

## for the formula dot: every column but y enters `.`
set.seed(104)
n <- 80
g <- sprintf("c%d", rep(1:8, each = 10))
x1 <- round(rnorm(n), 4); x2 <- round(runif(n), 4)
y <- round(1 + 0.5 * x1 - x2 + rnorm(8, sd = 0.7)[as.integer(substr(g, 2, 2))] + rnorm(n, sd = 0.5), 4)
write_data(data.frame(y, x1, x2, g), "dot.csv", c(y = "numeric", x1 = "numeric", x2 = "numeric",
                                                   g = "factor"))

## sleepstudy with missing values: 6 in Reaction, 4 in Days, 2 in Subject (different rows)
set.seed(105)
na_rows <- sample(nrow(ss), 12)
sn <- ss[, c("Reaction", "Days", "Subject")]
sn$Reaction[na_rows[1:6]] <- NA
sn$Days[na_rows[7:10]] <- NA
sn$Subject[na_rows[11:12]] <- NA
write_data(sn, "sleepstudy_na.csv", c(Reaction = "numeric", Days = "numeric", Subject = "factor"))

## gauge study: Part and Operator have the same number of levels (5), crossed, 3 replicates
set.seed(106)
gs <- expand.grid(rep = 1:3, Operator = sprintf("O%d", 1:5), Part = sprintf("P%d", 1:5),
                  stringsAsFactors = FALSE)
pi_ <- as.integer(substr(gs$Part, 2, 2)); oi <- as.integer(substr(gs$Operator, 2, 2))
po <- matrix(rnorm(25, sd = 0.7), 5)
gs$y <- round(10 + rnorm(5, sd = 2)[pi_] + rnorm(5, sd = 1)[oi] + po[cbind(pi_, oi)] +
                rnorm(nrow(gs), sd = 0.5), 4)
write_data(gs[, c("y", "Part", "Operator")], "gauge.csv",
           c(y = "numeric", Part = "factor", Operator = "factor"))

## for lmerControl checks: `one` has a single level, `obs` one level per row
set.seed(107)
n <- 40
g <- sprintf("k%d", rep(1:8, each = 5))
x <- round(rnorm(n), 4)
y <- round(1 + 0.5 * x + rnorm(8, sd = 0.8)[as.integer(substr(g, 2, 2))] + rnorm(n, sd = 0.5), 4)
write_data(data.frame(y, x, g, one = "a", obs = sprintf("o%02d", 1:n)), "control.csv",
           c(y = "numeric", x = "numeric", g = "factor", one = "factor", obs = "factor"))

## ---------------------------------------------------------------- extra outputs
## prior weights: the criteria, both residual types, and the row diagnostics
weights_extra <- function(fit, env) list(
  weights = I(unname(weights(fit))),
  sum_log_weights = sum(log(weights(fit))),
  deviance_REML_false = deviance(fit, REML = FALSE),
  REMLcrit = REMLcrit(fit),
  residuals_response = I(unname(residuals(fit))),
  residuals_pearson = I(unname(residuals(fit, type = "pearson"))),
  hatvalues = I(unname(hatvalues(fit))),
  rstudent = I(unname(rstudent(fit))),
  cooks_distance = I(unname(cooks.distance(fit)))
)

## predictions on newdata_days.csv; `check_*` tell whether predict() on the fit's own
## rows reproduces fitted() and X beta (it does when the basis is the fit's)
predict_extra <- function(newfile) function(fit, env) {
  nd <- read_data(newfile)
  d <- env$d[as.integer(rownames(model.frame(fit))), ]
  list(
    newdata = newfile,
    newdata_column_types = as.list(col_types[[newfile]]),
    predict_newdata = I(unname(predict(fit, newdata = nd))),
    predict_newdata_re_form_NA = I(unname(predict(fit, newdata = nd, re.form = NA))),
    check_max_abs_diff_predict_own_rows_vs_fitted =
      max(abs(predict(fit, newdata = d) - fitted(fit)[!is.na(fitted(fit))])),
    check_max_abs_diff_predict_own_rows_re_form_NA_vs_X_beta_plus_offset =
      max(abs(predict(fit, newdata = d, re.form = NA) -
                (drop(getME(fit, "X") %*% fixef(fit)) + getME(fit, "offset"))))
  )
}

poly_basis <- function(x, degree) {
  cf <- attr(poly(x, degree), "coefs")
  list(degree = degree, alpha = I(cf$alpha), norm2 = I(cf$norm2))
}
ns_basis <- function(b) list(knots = I(unname(attr(b, "knots"))),
                            Boundary_knots = I(unname(attr(b, "Boundary.knots"))),
                            intercept = attr(b, "intercept"), df = ncol(b))

offset_extra <- function(fit, env) {
  nd <- read_data("newdata_days.csv")
  tt_off <- attr(terms(fit), "offset")
  c(list(
    offset_total = I(unname(getME(fit, "offset"))),
    offset_terms_in_formula = I(if (is.null(tt_off)) character(0) else
      vapply(tt_off, function(i) deparse1l(attr(terms(fit), "variables")[[i + 1]]), "")),
    predict_data = I(unname(predict(fit))),
    predict_data_re_form_NA = I(unname(predict(fit, re.form = NA))),
    X_beta = I(unname(drop(getME(fit, "X") %*% fixef(fit))))),
    predict_extra("newdata_days.csv")(fit, env))
}

contrast_extra <- function(fit, env) {
  ctr <- attr(getME(fit, "X"), "contrasts")
  mf <- model.frame(fit)
  list(
    X_colnames = I(colnames(getME(fit, "X"))),
    contrasts = lapply(names(ctr), function(f) {
      cm <- ctr[[f]]
      lev <- levels(mf[[f]])
      m <- if (is.character(cm)) get(cm)(lev) else if (is.function(cm)) cm(lev) else cm
      rownames(m) <- lev
      list(factor = f, spec = if (is.character(cm)) cm else "matrix",
           levels = I(lev), columns = I(if (is.null(colnames(m))) character(0) else colnames(m)),
           matrix = unname(m))
    }),
    X_first_rows = unname(as.matrix(getME(fit, "X"))[1:6, , drop = FALSE])
  )
}

na_extra <- function(fit, env) {
  pad <- function(v) I(unname(v))
  list(
    n_rows_csv = nrow(env$d),
    na_action_class = class(attr(model.frame(fit), "na.action")),
    na_action_rows = I(as.integer(attr(model.frame(fit), "na.action"))),
    fitted_all = pad(fitted(fit)),
    residuals_all = pad(residuals(fit)),
    residuals_pearson_all = pad(residuals(fit, type = "pearson")),
    predict_all = pad(predict(fit)),
    predict_re_form_NA_all = pad(predict(fit, re.form = NA)),
    hatvalues_all = pad(hatvalues(fit)),
    rstudent_all = pad(rstudent(fit)),
    cooks_distance_all = pad(cooks.distance(fit)),
    lengths = list(fitted = length(fitted(fit)), residuals = length(residuals(fit)),
                   predict = length(predict(fit)), hatvalues = length(hatvalues(fit)))
  )
}

methods_extra <- function(fit, env) {
  infl <- influence(fit, groups = "Subject", data = env$d)
  vcc <- infl[["var.cov.comps[-Subject]"]]
  list(
    coef = group_table(coef(fit)),
    rstudent = I(unname(rstudent(fit))),
    cooks_distance = I(unname(cooks.distance(fit))),
    hatvalues = I(unname(hatvalues(fit))),
    residuals_pearson = I(unname(residuals(fit, type = "pearson"))),
    rank_X = as.integer(Matrix::rankMatrix(getME(fit, "X"))),
    influence = list(
      call = 'influence(fit, groups = "Subject", data = d)',
      groups = infl$groups,
      deleted = I(as.character(infl$deleted)),
      fixed_effects = as.list(infl$fixed.effects),
      fixed_effects_deleted = list(columns = I(colnames(infl[["fixed.effects[-Subject]"]])),
                                   values = mat(infl[["fixed.effects[-Subject]"]])),
      var_cov_comps = as.list(infl$var.cov.comps),
      var_cov_comps_deleted = list(columns = I(colnames(vcc)), values = mat(vcc)),
      sigma_deleted = I(unname(sqrt(vcc[, "sigma^2"]))),
      vcov = mat(infl$vcov),
      vcov_deleted = lapply(infl[["vcov[-Subject]"]], mat),
      converged = I(unname(infl$converged)),
      function_evals = I(unname(infl$function.evals)),
      cooks_distance = I(unname(cooks.distance(infl))),
      dfbeta = list(columns = I(colnames(dfbeta(infl))), values = mat(dfbeta(infl))),
      dfbetas = list(columns = I(colnames(dfbetas(infl))), values = mat(dfbetas(infl)))
    )
  )
}

predict_re_form_extra <- function(fit, env) {
  forms <- list(intercept = "~(1 | Subject)", slope = "~(0 + Days | Subject)",
                NA_ = "NA", NULL_ = "NULL")
  names(forms) <- c("re_form_intercept", "re_form_slope", "re_form_NA", "re_form_NULL")
  nd <- read_data("newdata_subjects.csv")
  nna <- read_data("newdata_subject_na.csv")
  on <- function(newdata, allow) lapply(forms, function(rf) {
    rfv <- eval(parse(text = rf))
    if (is.null(newdata)) I(unname(predict(fit, re.form = rfv)))
    else I(unname(predict(fit, newdata = newdata, re.form = rfv, allow.new.levels = allow)))
  })
  e <- new.env(); e$fit <- fit; e$nd <- nd; e$nna <- nna
  se <- run_caught("predict(fit, newdata = nd, se.fit = TRUE, allow.new.levels = TRUE)", e)
  list(
    re_forms = lapply(forms, identity),
    predict_data = on(NULL, FALSE),
    newdata = "newdata_subjects.csv",
    newdata_column_types = as.list(col_types[["newdata_subjects.csv"]]),
    predict_newdata_allow_new_levels = on(nd, TRUE),
    error_new_level_default = error_of("predict(fit, newdata = nd)", e),
    newdata_na = "newdata_subject_na.csv",
    newdata_na_column_types = as.list(col_types[["newdata_subject_na.csv"]]),
    error_na_group_default = error_of("predict(fit, newdata = nna)", e),
    error_na_group_re_form_NA = error_of("predict(fit, newdata = nna, re.form = NA)", e),
    predict_newdata_na_re_form_NA = I(unname(predict(fit, newdata = nna, re.form = NA))),
    predict_newdata_na_allow_new_levels = on(nna, TRUE),
    se_fit = list(
      call = "predict(fit, newdata = nd, se.fit = TRUE, allow.new.levels = TRUE)",
      supported = FALSE,
      warnings = I(se$warnings),
      value_class = class(se$value),
      value = I(unname(se$value)),
      same_as_without_se_fit = isTRUE(all.equal(se$value,
        predict(fit, newdata = nd, allow.new.levels = TRUE))))
  )
}

optinfo_extra <- function(fit, env) {
  oi <- fit@optinfo
  list(optinfo = list(optimizer = oi$optimizer, feval = oi$feval,
                      conv_opt = oi$conv$opt,
                      conv_lme4_messages = I(as.character(unlist(oi$conv$lme4$messages))),
                      warnings = I(as.character(unlist(oi$warnings)))))
}

## ---------------------------------------------------------------- 1. weights
make_case("weights_reml", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d, weights = w)",
          "Reaction ~ Days + (Days | Subject)", "weights = w", weights_extra)
make_case("weights_ml", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d, weights = w, REML = FALSE)",
          "Reaction ~ Days + (Days | Subject)", "weights = w, REML = FALSE", weights_extra)
make_case("weights_crossed_reml", "penicillin_w.csv",
          "lmer(diameter ~ 1 + (1 | plate) + (1 | sample), data = d, weights = w)",
          "diameter ~ 1 + (1 | plate) + (1 | sample)", "weights = w", weights_extra)

## ---------------------------------------------------------------- 2. offsets
make_case("offset_argument", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (1 | Subject), data = d, offset = off)",
          "Reaction ~ Days + (1 | Subject)", "offset = off", offset_extra)
make_case("offset_in_formula", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + offset(off) + (1 | Subject), data = d)",
          "Reaction ~ Days + offset(off) + (1 | Subject)", "", offset_extra)
make_case("offset_two_terms", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + offset(off) + offset(2 * off2) + (1 | Subject), data = d)",
          "Reaction ~ Days + offset(off) + offset(2 * off2) + (1 | Subject)", "", offset_extra)
make_case("offset_and_weights", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + offset(off) + (Days | Subject), data = d, weights = w)",
          "Reaction ~ Days + offset(off) + (Days | Subject)", "weights = w",
          function(fit, env) c(offset_extra(fit, env), weights_extra(fit, env)))
make_case("offset_argument_and_formula", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + offset(off2) + (1 | Subject), data = d, offset = off)",
          "Reaction ~ Days + offset(off2) + (1 | Subject)", "offset = off", offset_extra)

## ---------------------------------------------------------------- 3. contrasts
mach <- "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)"
for (ct in list(c("contrasts_sum", "list(Machine = \"contr.sum\")"),
                c("contrasts_helmert", "list(Machine = \"contr.helmert\")"),
                c("contrasts_poly", "list(Machine = \"contr.poly\")"),
                c("contrasts_SAS", "list(Machine = \"contr.SAS\")"),
                c("contrasts_matrix_named", "list(Machine = cbind(AvB = c(1, -1, 0), ABvC = c(0.5, 0.5, -1)))"),
                c("contrasts_matrix_unnamed", "list(Machine = matrix(c(1, -1, 0, 1, 1, -2), 3))")))
  make_case(ct[1], "machines.csv",
            sprintf("lmer(%s, data = d, contrasts = %s)", mach, ct[2]),
            mach, paste("contrasts =", ct[2]), contrast_extra)
make_case("contrasts_default_treatment", "machines.csv",
          sprintf("lmer(%s, data = d)", mach), mach, "", contrast_extra)
make_case("ordered_default_poly", "ordered.csv",
          "lmer(y ~ Type + x + (1 | g), data = d)", "y ~ Type + x + (1 | g)", "", contrast_extra)
make_case("ordered_treatment", "ordered.csv",
          "lmer(y ~ Type + x + (1 | g), data = d, contrasts = list(Type = \"contr.treatment\"))",
          "y ~ Type + x + (1 | g)", "contrasts = list(Type = \"contr.treatment\")", contrast_extra)

## ---------------------------------------------------------------- 4. formula functions
pe <- predict_extra("newdata_days.csv")
ssd <- read_data("sleepstudy_extra.csv")
make_case("poly_orthogonal", "sleepstudy_extra.csv",
          "lmer(Reaction ~ poly(Days, 2) + (1 | Subject), data = d)",
          "Reaction ~ poly(Days, 2) + (1 | Subject)", "",
          function(fit, env) c(pe(fit, env), list(basis = list(`poly(Days, 2)` = poly_basis(ssd$Days, 2)))))
make_case("poly_raw", "sleepstudy_extra.csv",
          "lmer(Reaction ~ poly(Days, 2, raw = TRUE) + (1 | Subject), data = d)",
          "Reaction ~ poly(Days, 2, raw = TRUE) + (1 | Subject)", "", pe)
make_case("ns_df", "sleepstudy_extra.csv",
          "lmer(Reaction ~ splines::ns(Days, df = 3) + (1 | Subject), data = d)",
          "Reaction ~ splines::ns(Days, df = 3) + (1 | Subject)", "",
          function(fit, env) c(pe(fit, env), list(basis = list(
            `splines::ns(Days, df = 3)` = ns_basis(splines::ns(ssd$Days, df = 3))))))
make_case("ns_knots", "sleepstudy_extra.csv",
          "lmer(Reaction ~ ns(Days, knots = c(3, 6)) + (1 | Subject), data = d)",
          "Reaction ~ ns(Days, knots = c(3, 6)) + (1 | Subject)", "",
          function(fit, env) c(pe(fit, env), list(basis = list(
            `ns(Days, knots = c(3, 6))` = ns_basis(ns(ssd$Days, knots = c(3, 6)))))))
make_case("poly_random", "sleepstudy_extra.csv",
          "lmer(Reaction ~ poly(Days, 2) + (poly(Days, 2) | Subject), data = d)",
          "Reaction ~ poly(Days, 2) + (poly(Days, 2) | Subject)", "",
          function(fit, env) c(pe(fit, env), list(basis = list(`poly(Days, 2)` = poly_basis(ssd$Days, 2)))))
make_case("ns_random", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (ns(Days, df = 2) | Subject), data = d)",
          "Reaction ~ Days + (ns(Days, df = 2) | Subject)", "",
          function(fit, env) c(pe(fit, env), list(basis = list(
            `ns(Days, df = 2)` = ns_basis(ns(ssd$Days, df = 2))))))
make_case("no_fixed_effects", "dyestuff.csv",
          "lmer(Yield ~ 0 + (1 | Batch), data = d)", "Yield ~ 0 + (1 | Batch)",
          note = paste("REML = TRUE (the default) was asked, but with no fixed effects lme4 passes",
                       "REML = p = 0 on, so isREML(fit) is FALSE and the fit is reported as ML;",
                       "with p = 0 the REML criterion and the ML deviance are the same function"))
make_case("dot_all_columns", "dot.csv",
          "lmer(y ~ . + (1 | g), data = d)", "y ~ . + (1 | g)",
          note = paste("`.` expands to every column but the response, the grouping column g",
                       "included, so g is both a fixed factor and the random-intercept group.",
                       "The random intercepts lie in the span of the fixed g columns, so the REML",
                       "criterion does not depend on theta: beta (the OLS estimate), sigma and the",
                       "objective are determined, theta and the ranef are where the optimizer stopped"))
make_case("dot_minus_group", "dot.csv",
          "lmer(y ~ . - g + (1 | g), data = d)", "y ~ . - g + (1 | g)")
make_case("bars_no_parens", "dyestuff.csv",
          "lmer(Yield ~ 1 | Batch, data = d)", "Yield ~ 1 | Batch",
          note = paste("R parses Yield ~ 1 | Batch as Yield ~ (1 | Batch): the whole right-hand side",
                       "is one bar term; lme4 fits a fixed intercept and a random intercept by Batch,",
                       "the same fit as Yield ~ 1 + (1 | Batch)"))
make_case("bars_no_parens_slope", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days | Subject, data = d)", "Reaction ~ Days | Subject",
          note = paste("parsed as Reaction ~ (Days | Subject): random intercept and slope by",
                       "Subject, and the fixed part is the intercept alone (no fixed Days)"))
make_case("as_numeric_factor", "ordered.csv",
          "lmer(y ~ as.numeric(dose) + (1 | g), data = d)", "y ~ as.numeric(dose) + (1 | g)",
          note = paste("dose is a factor with levels sorted as text: \"10\" \"2\" \"20\" \"5\";",
                       "as.numeric(dose) gives the level codes 1..4 in that order, not the numbers"),
          extra = function(fit, env) list(
            dose_levels = I(levels(env$d$dose)),
            X_first_rows = unname(as.matrix(getME(fit, "X"))[1:6, ]),
            dose_first_rows = I(as.character(env$d$dose[1:6]))))
make_case("relevel_factor", "machines.csv",
          "lmer(score ~ relevel(Machine, \"C\") + (1 | Worker), data = d)",
          "score ~ relevel(Machine, \"C\") + (1 | Worker)", "", contrast_extra)
make_case("dummy_random", "machines.csv",
          "lmer(score ~ Machine + (1 | Worker) + (0 + dummy(Machine, \"B\") | Worker), data = d)",
          "score ~ Machine + (1 | Worker) + (0 + dummy(Machine, \"B\") | Worker)", "",
          note = paste("dummy(Machine, \"B\") is the 0/1 indicator of level B.  Two terms share the",
                       "grouping factor Worker: ngroups has one Worker entry, term_groups and cnms",
                       "have two, varcorr calls the second one Worker.1, ranef merges both into one",
                       "Worker table with two columns"))

## ---------------------------------------------------------------- 5. na.action
make_case("na_exclude", "sleepstudy_na.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d, na.action = na.exclude)",
          "Reaction ~ Days + (Days | Subject)", "na.action = na.exclude", na_extra)
make_case("na_omit", "sleepstudy_na.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d, na.action = na.omit)",
          "Reaction ~ Days + (Days | Subject)", "na.action = na.omit", na_extra)

## ---------------------------------------------------------------- 6. update
upd_base <- make_case("update_base", "sleepstudy_extra.csv",
                      "lmer(Reaction ~ Days + (1 | Subject), data = d)",
                      "Reaction ~ Days + (1 | Subject)")
make_case("update_add_x", "sleepstudy_extra.csv", "update(base, . ~ . + x)", base = upd_base,
          lmer_args = "update of update_base",
          note = "update.formula puts x after the bar term; the fixed effects come out as (Intercept), Days, x")
make_case("update_swap_re", "sleepstudy_extra.csv",
          "update(base, . ~ . - (1 | Subject) + (1 + Days | Subject))", base = upd_base,
          lmer_args = "update of update_base")
make_case("update_ml", "sleepstudy_extra.csv", "update(base, REML = FALSE)", base = upd_base,
          lmer_args = "update of update_base")

## ---------------------------------------------------------------- 7. refit / refitML
rf_base <- make_case("refit_base", "sleepstudy_extra.csv",
                     "lmer(Reaction ~ Days + (Days | Subject), data = d)",
                     "Reaction ~ Days + (Days | Subject)")
make_case("refit_newresp", "sleepstudy_extra.csv", "refit(base, newresp = d$Reaction_new)",
          base = rf_base, lmer_args = "refit of refit_base",
          note = paste("the new response is the column Reaction_new; the fit keeps the formula",
                       "(response name Reaction) and starts from refit_base's theta"),
          extra = function(fit, env) list(newresp_column = "Reaction_new",
                                         response_used = I(unname(getME(fit, "y")))))
make_case("refitML", "sleepstudy_extra.csv", "refitML(base)", base = rf_base,
          lmer_args = "refitML of refit_base")
## lmer on the new response itself: what refit_newresp should equal (see README, Surprises)
make_case("refit_newresp_direct", "sleepstudy_extra.csv",
          "lmer(Reaction_new ~ Days + (Days | Subject), data = d)", "Reaction_new ~ Days + (Days | Subject)",
          note = paste("the fit refit_newresp should equal: lme4's refit reports a REML criterion 8.6 above",
                       "this one at nearly the same theta"),
          extra = function(fit, env) {
            refitted <- refit(env$base, newresp = env$d$Reaction_new)
            list(refit_REMLcrit = REMLcrit(refitted), refit_theta = I(unname(getME(refitted, "theta"))),
                 REMLcrit_here_at_refit_theta = as.function(fit)(getME(refitted, "theta")),
                 refit_devcomp_cmp = as.list(getME(refitted, "devcomp")$cmp))
          }, base = rf_base)

## ---------------------------------------------------------------- 8. methods
make_case("methods", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d)",
          "Reaction ~ Days + (Days | Subject)", "", methods_extra, time_it = FALSE)

## ---------------------------------------------------------------- 9. predict with re.form
make_case("predict_re_form", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d)",
          "Reaction ~ Days + (Days | Subject)", "", predict_re_form_extra)

## ---------------------------------------------------------------- 10. term order on ties
for (tc in list(c("ties_part_operator", "y ~ (1 | Part) + (1 | Operator) + (1 | Part:Operator)"),
                c("ties_operator_part", "y ~ (1 | Operator) + (1 | Part) + (1 | Part:Operator)"),
                c("ties_interaction_first", "y ~ (1 | Part:Operator) + (1 | Part) + (1 | Operator)"),
                c("ties_two_terms", "y ~ (1 | Operator) + (1 | Part)")))
  make_case(tc[1], "gauge.csv", sprintf("lmer(%s, data = d)", tc[2]), tc[2],
            note = paste("mkReTrms: nl = levels per term in formula order; if any(diff(nl) > 0)",
                         "the terms are put in the order rev(order(nl)) (so terms with equal nl",
                         "come out in reverse formula order), otherwise the formula order is kept"))

## ---------------------------------------------------------------- 11. control
ctl_env <- new.env(); ctl_env$d <- read_data("control.csv")
one_default <- error_of("lmer(y ~ x + (1 | one), data = d, REML = FALSE)", ctl_env)
make_case("control_one_level", "control.csv",
          "lmer(y ~ x + (1 | one), data = d, REML = FALSE, control = lmerControl(check.nlev.gtr.1 = \"ignore\"))",
          "y ~ x + (1 | one)", "REML = FALSE, control = lmerControl(check.nlev.gtr.1 = \"ignore\")",
          note = paste("a one-level random intercept is the fixed intercept again; under ML the",
                       "optimum is theta = 0 (under REML the criterion would not depend on theta)"),
          extra = function(fit, env) list(default_control_error = one_default))
obs_default <- error_of("lmer(y ~ x + (1 | obs), data = d)", ctl_env)
obs_nlev_only <- error_of("lmer(y ~ x + (1 | obs), data = d, control = lmerControl(check.nobs.vs.nlev = \"warning\"))", ctl_env)
make_case("control_nlev_equals_nobs", "control.csv",
          "lmer(y ~ x + (1 | obs), data = d, control = lmerControl(check.nobs.vs.nlev = \"warning\", check.nobs.vs.nRE = \"warning\"))",
          "y ~ x + (1 | obs)", "control = lmerControl(check.nobs.vs.nlev = \"warning\", check.nobs.vs.nRE = \"warning\")",
          note = paste("(1 | obs) has one level per row and is confounded with the residual: only",
                       "sigma^2 * (1 + theta^2), the total variance, and beta (the OLS estimate)",
                       "are determined; the split between theta and sigma is where lme4's optimizer stopped"),
          extra = function(fit, env) list(
            default_control_error = obs_default,
            error_with_only_check_nobs_vs_nlev_warning = obs_nlev_only,
            total_variance = sigma(fit)^2 * (1 + getME(fit, "theta")^2),
            beta_lm = as.list(coef(lm(y ~ x, data = env$d)))))
for (op in c("Nelder_Mead", "bobyqa", "nloptwrap"))
  make_case(paste0("optimizer_", op), "sleepstudy_extra.csv",
            sprintf("lmer(Reaction ~ Days + (Days | Subject), data = d, control = lmerControl(optimizer = \"%s\"))", op),
            "Reaction ~ Days + (Days | Subject)",
            sprintf("control = lmerControl(optimizer = \"%s\")", op), optinfo_extra)

allfit_extra <- function(fit, env) {
  e <- new.env(); e$fit <- fit
  af <- run_caught("allFit(fit, verbose = FALSE)", e)
  s <- summary(af$value)
  tab <- function(m) list(optimizers = I(rownames(m)), columns = I(colnames(m)), values = mat(m))
  list(allFit = list(
    call = "summary(allFit(fit, verbose = FALSE))",
    optimizers_tried = I(names(af$value)),
    which_OK = as.list(s$which.OK),
    msgs = lapply(s$msgs, function(m) I(if (is.null(m)) character(0) else as.character(m))),
    llik = as.list(s$llik),
    fixef = tab(s$fixef),
    theta = tab(s$theta),
    sdcor = tab(s$sdcor),
    feval = as.list(s$feval),
    warnings = I(af$warnings), messages = I(af$messages)))
}
make_case("allfit", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d)",
          "Reaction ~ Days + (Days | Subject)", "", allfit_extra, time_it = FALSE)

## ---------------------------------------------------------------- 12. subset
make_case("subset_days", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d, subset = Days >= 2)",
          "Reaction ~ Days + (Days | Subject)", "subset = Days >= 2")
make_case("subset_drop_level", "sleepstudy_extra.csv",
          "lmer(Reaction ~ Days + (Days | Subject), data = d, subset = Subject != \"308\")",
          "Reaction ~ Days + (Days | Subject)", "subset = Subject != \"308\"",
          extra = function(fit, env) list(levels_Subject_in_fit = I(levels(model.frame(fit)$Subject))))
