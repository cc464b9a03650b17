## lme4::glmer on a generated binary users x items data set, timed.
##   Rscript tests/data/glmer/make_glmer_timing.R [n] [n_users] [n_items] [out_dir] [seed]
## Defaults: n = 100000, n_users = 2000, n_items = 200, out_dir = this script's folder,
## seed = 2024.  For the large run, e.g.
##   Rscript tests/data/glmer/make_glmer_timing.R 1000000 2000 200 /tmp/glmer_1e6
## Writes users_items_n<n>.csv.gz (the data) and timing_users_items_n<n>.json.
##
## Data (documented in README.md so that numpy can generate the same kind of data):
##   user_i ~ Uniform{1..n_users}, item_i ~ Uniform{1..n_items}, independently per row
##   x_i    ~ N(0, 1), rounded to 4 decimals
##   a_u    ~ N(0, 1.0^2) per user, b_j ~ N(0, 0.5^2) per item
##   eta_i  = -0.5 + 0.4 x_i + a[user_i] + b[item_i]
##   y_i    ~ Bernoulli(plogis(eta_i)), written as 0/1
##   labels: "u" + zero-padded user number, "i" + zero-padded item number (text)
## Model: y ~ x + (1 | user) + (1 | item), binomial logit, fitted with nAGQ = 1 (Laplace)
## and nAGQ = 0, each once; the Laplace fit's time includes lme4's own nAGQ = 0 start.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
targs <- commandArgs(trailingOnly = TRUE)
arg <- function(i, default) if (length(targs) >= i) targs[[i]] else default
n <- as.integer(as.numeric(arg(1, "100000")))
n_users <- as.integer(arg(2, "2000"))
n_items <- as.integer(arg(3, "200"))
out_dir <- arg(4, here)
seed <- as.integer(arg(5, "2024"))
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

## ---------------------------------------------------------------- data
set.seed(seed)
user <- sample.int(n_users, n, replace = TRUE)
item <- sample.int(n_items, n, replace = TRUE)
x <- round(rnorm(n), 4)
a <- rnorm(n_users, sd = 1.0)
b <- rnorm(n_items, sd = 0.5)
y <- rbinom(n, 1, plogis(-0.5 + 0.4 * x + a[user] + b[item]))
d <- data.frame(y = y, x = x,
                user = sprintf(paste0("u%0", nchar(n_users), "d"), user),
                item = sprintf(paste0("i%0", nchar(n_items), "d"), item))
file <- sprintf("users_items_n%d.csv.gz", n)
con <- gzfile(file.path(out_dir, file), "w")
write.csv(d, con, row.names = FALSE, na = "")
close(con)
column_types <- list(y = "numeric", x = "numeric", user = "factor", item = "factor")
d <- read.csv(file.path(out_dir, file),
              colClasses = c(y = "numeric", x = "numeric", user = "factor", item = "factor"))

## ---------------------------------------------------------------- fits
fit_one <- function(nAGQ) {
  warns <- character(0)
  msgs <- character(0)
  t0 <- proc.time()
  fit <- withCallingHandlers(
    glmer(y ~ x + (1 | user) + (1 | item), data = d, family = binomial, nAGQ = nAGQ),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  dt <- proc.time() - t0
  secs <- dt[["elapsed"]]
  cpu <- dt[["user.self"]] + dt[["sys.self"]]
  V <- as.matrix(vcov(fit))
  ll <- logLik(fit)
  oi <- fit@optinfo
  cf <- summary(fit)$coefficients
  vc <- as.data.frame(VarCorr(fit))
  tab <- function(x) {
    x <- as.data.frame(x, stringsAsFactors = FALSE, check.names = FALSE)
    list(rownames = I(rownames(x)), columns = I(names(x)),
         values = lapply(seq_len(nrow(x)), function(i) unname(lapply(x, function(col) col[i]))))
  }
  cat(sprintf("nAGQ=%d: %.2f s (cpu %.2f s)  theta = %s  beta = %s  -2logLik = %.10g\n  warnings: %s\n  messages: %s\n",
              nAGQ, secs, cpu, paste(signif(getME(fit, "theta"), 8), collapse = ", "),
              paste(signif(fixef(fit), 8), collapse = ", "), -2 * as.numeric(ll),
              paste(warns, collapse = " | "), paste(msgs, collapse = " | ")))
  list(
    nAGQ = nAGQ, lme4_fit_seconds = round(secs, 3), lme4_fit_cpu_seconds = round(cpu, 3),
    theta = I(unname(getME(fit, "theta"))), theta_names = I(names(getME(fit, "theta"))),
    beta = as.list(fixef(fit)), vcov = tab(V), stderr = as.list(sqrt(diag(V))),
    coefficients = tab(cf),
    logLik = as.numeric(ll), df = attr(ll, "df"), AIC = AIC(fit), BIC = BIC(fit),
    deviance = deviance(fit), minus_2_logLik = -2 * as.numeric(ll),
    devcomp_cmp = as.list(fit@devcomp$cmp),
    varcorr = tab(vc), singular = isSingular(fit),
    warnings = I(warns), messages = I(msgs),
    optinfo = list(optimizer = oi$optimizer, message = oi$message, feval = oi$feval,
                   warnings = I(as.character(unlist(oi$warnings))), conv_opt = oi$conv$opt,
                   conv_lme4_code = I(as.integer(unlist(oi$conv$lme4$code))),
                   conv_lme4_messages = I(as.character(unlist(oi$conv$lme4$messages))),
                   par = I(oi$val)),
    summary_text = I(capture.output(summary(fit))))
}

blas <- tryCatch(sessionInfo()$BLAS, error = function(e) NA_character_)
res <- list(
  id = sprintf("timing_users_items_n%d", n), data = file,
  formula = "y ~ x + (1 | user) + (1 | item)", family = "binomial", link = "logit",
  lme4_version = as.character(packageVersion("lme4")),
  R_version = paste(R.version$major, R.version$minor, sep = "."),
  BLAS = blas, OPENBLAS_NUM_THREADS = Sys.getenv("OPENBLAS_NUM_THREADS", NA),
  cores = parallel::detectCores(),
  load_average_at_start = tryCatch(readLines("/proc/loadavg"), error = function(e) NA_character_),
  generator = list(n = n, n_users = n_users, n_items = n_items, seed = seed,
                   intercept = -0.5, slope_x = 0.4, sd_user = 1.0, sd_item = 0.5,
                   formulas = I(c(
                     "user_i ~ Uniform{1..n_users}, item_i ~ Uniform{1..n_items}",
                     "x_i ~ N(0, 1) rounded to 4 decimals",
                     "a_u ~ N(0, sd_user^2), b_j ~ N(0, sd_item^2)",
                     "eta_i = intercept + slope_x * x_i + a[user_i] + b[item_i]",
                     "y_i ~ Bernoulli(1 / (1 + exp(-eta_i)))"))),
  nobs = nrow(d),
  ngroups = list(user = nlevels(d$user), item = nlevels(d$item)),
  mean_y = mean(d$y),
  column_types = column_types,
  fits = list(laplace = fit_one(1L), agq0 = fit_one(0L)))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           file.path(out_dir, sprintf("timing_users_items_n%d.json", n)))
