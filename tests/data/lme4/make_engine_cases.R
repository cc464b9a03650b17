## Reference fits from lme4::lmer for models that stress the optimiser and
## vector-valued random effects.  Run from anywhere:
##   Rscript tests/data/lme4/make_engine_cases.R
## (it reruns itself with OPENBLAS_NUM_THREADS=1; a few minutes, most of it
## latin_square_max_reml)
## Writes <data>.csv, <case>.json and summaries/<case>.txt next to this script.
## The helpers are those of make_cases.R (same JSON fields: see
## tests/data/reference/README.md plus n_dropped, fixef_dropped, warnings,
## messages, column_types and fitted_index_note), with these additions:
##   - make_case(max_rows =): fitted/residuals only for the first max_rows used
##     rows (the InstEval reference of tests/data/reference gives the first 200 for large data);
##   - make_case(reps =): repetitions for lme4_fit_seconds_median (5; 1 for a
##     slow fit, then the reported fit itself is timed);
##   - extra JSON fields lme4_convergence (fit@optinfo$conv$lme4$messages,
##     always an array), optimizer_evals (fit@optinfo$feval) and
##     optimizer_message (fit@optinfo$message);
##   - for the two lme4_gradient_warning cases, best_known_optimum: the
##     objective of the same model at the theta of an exactly equivalent
##     reparametrised fit (see those cases below);
##   - summaries/<case>.txt: print(summary(fit)) at width 80, as
##     make_summaries.R writes for the other cases.
##
## Cases (see the comments at each data set for how the data were generated):
##   orthodont_ml                 distance ~ age + (age | Subject), ML
##   chem97_nested_ml             score ~ gcsecnt + (1 | lea/school), ML, 31,022 rows
##   crossed_slopes_reml/_ml      y ~ x + (x | subj) + (x | item)
##   uncorrelated_crossed_reml    y ~ x + (x || subj) + (1 | item)
##   latin_square_reml            y ~ a*b*c + (1 + a + b + c | subject) + (1 + a + b + c | item)
##   latin_square_max_reml        y ~ a*b*c + (1 + a*b*c | subject) + (1 + a*b*c | item)
##   three_level_nested_reml      y ~ x + (1 | school/class) + (0 + x | school)
##   slope_first_term_ml          y ~ x + (1 + x | g) + (1 | h), ML
##   lme4_gradient_warning_1_reml Reaction ~ Days1000 + (Days1000 | Subject)
##   lme4_gradient_warning_2_reml y ~ x + (x | g), x uncentred (mean 10)
##   nested_slopes_saddle_reml    y ~ x + (1 + x | student) + (1 + x | class) + (1 | school)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else getwd()

## One BLAS thread: with OpenBLAS's threads the last bits of lme4's arithmetic vary
## from run to run, and BOBYQA's path with them (crossed_slopes_reml's subject
## intercept variance came out 1.10466 or 1.10461).  The variable must be set
## before R loads the BLAS, so the script restarts itself with it.
if (Sys.getenv("OPENBLAS_NUM_THREADS") != "1" && length(script)) {
  status <- system2(file.path(R.home("bin"), "Rscript"), shQuote(normalizePath(script)),
                    env = c("OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1"))
  quit(save = "no", status = status)
}

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted by code point, like Python
options(width = 80)                           # as make_summaries.R
dir.create(file.path(out_dir, "summaries"), showWarnings = FALSE)

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
make_case <- function(id, file, formula, REML, max_rows = Inf, reps = 5, extra = list()) {
  d <- read_data(file)
  fml <- as.formula(formula)
  warns <- character(0)
  msgs <- character(0)
  first <- system.time(fit <- withCallingHandlers(
    lmer(fml, data = d, REML = REML),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  )[["elapsed"]]
  ## reps = 1: the time of that fit itself (a slow fit is not repeated)
  secs <- if (reps == 1) first else median(replicate(reps, system.time(
    suppressWarnings(suppressMessages(lmer(fml, data = d, REML = REML))))[["elapsed"]]))

  dropped_rows <- as.integer(attr(model.frame(fit), "na.action"))
  idx <- setdiff(seq_len(nrow(d)), dropped_rows)
  stopifnot(length(idx) == nobs(fit))
  shown <- seq_len(min(max_rows, length(idx)))  # fitted/residuals for these used rows

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
  conv <- fit@optinfo$conv$lme4$messages

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
    fitted_index = idx[shown],
    fitted_index_note = if (length(shown) == length(idx))
      paste("1-based rows of the CSV (the original data, including rows",
            "lme4 dropped for NA); fitted/residuals are given for these rows only")
    else
      paste("1-based rows of the CSV (the original data, including rows lme4 dropped",
            "for NA); large data: fitted/residuals are given for the first", length(shown),
            "rows lme4 used only"),
    fitted = unname(fitted(fit))[shown],
    residuals = unname(residuals(fit))[shown],
    lme4_fit_seconds_median = secs,
    ## extra fields; always arrays (I() stops auto_unbox for length 1)
    n_dropped = length(dropped_rows),
    fixef_dropped = I(as.character(names(attr(X, "col.dropped")))),
    warnings = I(warns),
    messages = I(msgs),
    column_types = as.list(col_types[[file]]),
    lme4_convergence = I(as.character(unlist(conv))),
    optimizer_evals = fit@optinfo$feval,
    optimizer_message = fit@optinfo$message
  )
  res <- c(res, extra)
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
                    pretty = TRUE),
             file.path(out_dir, paste0(id, ".json")))
  writeLines(capture.output(print(summary(fit))),
             file.path(out_dir, "summaries", paste0(id, ".txt")))
  cat(sprintf(paste0("%-28s %s  REML=%s\n  theta (%d) = %s\n  objective = %.10g\n",
                     "  evals = %d  seconds = %.3g  singular = %s\n  warnings: %s\n  messages: %s\n"),
              id, formula, REML, length(getME(fit, "theta")),
              paste(signif(getME(fit, "theta"), 8), collapse = ", "),
              res$objective, fit@optinfo$feval, secs, isSingular(fit),
              paste(warns, collapse = " | "), paste(msgs, collapse = " | ")))
  invisible(fit)
}

## theta of a model whose random-effects vector is b = A b* (b* that of a fitted
## equivalent model with relative factor L*): the lower Cholesky factor of A L* L*' A'.
mapped_theta <- function(fit_star, A) {
  th <- getME(fit_star, "theta")
  q <- nrow(A)
  L <- matrix(0, q, q)
  L[lower.tri(L, diag = TRUE)] <- th
  L2 <- t(chol(A %*% L %*% t(L) %*% t(A)))
  L2[lower.tri(L2, diag = TRUE)]
}

## ---------------------------------------------------------------- datasets

## Orthodont (nlme): 27 subjects x 4 ages
or <- data.frame(distance = nlme::Orthodont$distance, age = nlme::Orthodont$age,
                 Subject = as.character(nlme::Orthodont$Subject))
write_data(or, "orthodont.csv", c(distance = "numeric", age = "numeric", Subject = "factor"))

## Chem97 (mlmRev): 31,022 A-level students, 2,410 schools in 131 LEAs.  School
## codes are unique across LEAs (every school lies in exactly one LEA), so
## (1 | lea/school) = (1 | lea) + (1 | lea:school); lme4 builds the grouping
## factors school:lea (2,410 levels, the same partition as school) and lea (131).
ch <- mlmRev::Chem97
stopifnot(all(tapply(ch$lea, ch$school, function(z) length(unique(z))) == 1))
ch <- data.frame(score = ch$score, gcsecnt = ch$gcsecnt,
                 lea = as.character(ch$lea), school = as.character(ch$school))
write_data(ch, "chem97.csv", c(score = "numeric", gcsecnt = "numeric", lea = "factor", school = "factor"))

## Crossed slopes: 40 subjects x 30 items, every subject sees every item once
## (1,200 rows, subject-major).  x ~ N(0, 1) per trial; by-subject (intercept,
## slope) with sds (1.0, 0.6) and correlation 0.5; by-item (0.8, 0.4), correlation
## -0.5; residual sd 1; y = 2 + 0.7 x + effects + noise.
set.seed(101)
ns <- 40; ni <- 30
si <- rep(seq_len(ns), each = ni); ii <- rep(seq_len(ni), times = ns)
x <- round(rnorm(ns * ni), 4)
cov2 <- function(sds, rho) diag(sds) %*% matrix(c(1, rho, rho, 1), 2) %*% diag(sds)
Us <- matrix(rnorm(2 * ns), ns) %*% chol(cov2(c(1.0, 0.6), 0.5))
Ui <- matrix(rnorm(2 * ni), ni) %*% chol(cov2(c(0.8, 0.4), -0.5))
y <- round(2 + 0.7 * x + Us[si, 1] + Us[si, 2] * x + Ui[ii, 1] + Ui[ii, 2] * x +
             rnorm(ns * ni), 4)
write_data(data.frame(y, x, subj = sprintf("s%02d", si), item = sprintf("i%02d", ii)),
           "crossed_slopes.csv", c(y = "numeric", x = "numeric", subj = "factor", item = "factor"))

## Latin square (a psycholinguistic 2x2x2 within-subject, within-item design).
## Exact generating procedure:
##   subjects s = 1..60 labelled "s01".."s60", items i = 1..40 labelled "i01".."i40";
##   rows: every (s, i) pair once, subject-major (s = 1..60, within it i = 1..40): 2,400 rows.
##   item list L = i mod 8, subject group G = s mod 8, condition k = (L + G) mod 8 in 0..7;
##   a = "a1"/"a2" for floor(k / 4) = 0/1, b = "b1"/"b2" for floor(k / 2) mod 2 = 0/1,
##   c = "c1"/"c2" for k mod 2 = 0/1 (so each subject sees each cell 5 times and each
##   item is seen in each cell by 7 or 8 subjects).
##   Indicators A = (a == "a2"), B = (b == "b2"), C = (c == "c2").
##   Fixed part: 600 + 30 A - 20 B + 15 C + 10 AB - 8 AC + 5 BC + 12 ABC.
##   By-subject effects (intercept, A, B, C) ~ N(0, S_s), sds (60, 25, 20, 15),
##     correlations R_s = [1 .4 -.3 .2; .4 1 .1 -.2; -.3 .1 1 .3; .2 -.2 .3 1];
##   by-item effects (intercept, A, B, C) ~ N(0, S_i), sds (40, 20, 15, 10),
##     correlations R_i = [1 -.3 .2 .1; -.3 1 .2 .3; .2 .2 1 -.2; .1 .3 -.2 1];
##   residual sd 50; y = fixed + u_s[1] + u_s[2] A + u_s[3] B + u_s[4] C + (same for item)
##   + noise, rounded to 2 decimals.
##   R draws, after set.seed(2024): a 60 x 4 standard normal matrix (filled by column)
##   times chol(S_s); a 40 x 4 one times chol(S_i); 2,400 residuals in row order.
## The true model has no interaction slopes: latin_square_max_reml over-fits.
set.seed(2024)
ns <- 60; ni <- 40
si <- rep(seq_len(ns), each = ni); ii <- rep(seq_len(ni), times = ns)
k <- ((ii %% 8) + (si %% 8)) %% 8
A <- as.numeric(k %/% 4 == 1); B <- as.numeric((k %/% 2) %% 2 == 1); C <- as.numeric(k %% 2 == 1)
covR <- function(sds, R) diag(sds) %*% R %*% diag(sds)
Rs <- matrix(c(1, .4, -.3, .2, .4, 1, .1, -.2, -.3, .1, 1, .3, .2, -.2, .3, 1), 4)
Ri <- matrix(c(1, -.3, .2, .1, -.3, 1, .2, .3, .2, .2, 1, -.2, .1, .3, -.2, 1), 4)
Us <- matrix(rnorm(4 * ns), ns) %*% chol(covR(c(60, 25, 20, 15), Rs))
Ui <- matrix(rnorm(4 * ni), ni) %*% chol(covR(c(40, 20, 15, 10), Ri))
Zl <- cbind(1, A, B, C)
mu <- 600 + 30 * A - 20 * B + 15 * C + 10 * A * B - 8 * A * C + 5 * B * C + 12 * A * B * C
y <- round(mu + rowSums(Zl * Us[si, ]) + rowSums(Zl * Ui[ii, ]) + rnorm(ns * ni, sd = 50), 2)
ls <- data.frame(y, a = c("a1", "a2")[A + 1], b = c("b1", "b2")[B + 1], c = c("c1", "c2")[C + 1],
                 subject = sprintf("s%02d", si), item = sprintf("i%02d", ii))
stopifnot(all(table(ls$subject, paste(ls$a, ls$b, ls$c)) == 5))
write_data(ls, "latin_square.csv", c(y = "numeric", a = "factor", b = "factor", c = "factor",
                                     subject = "factor", item = "factor"))

## Three-level nesting: 25 schools, 4 classes each labelled "c1".."c4" (the label
## repeats across schools, so only school/class identifies a class), 12..28
## pupils per class (about 2,000 rows).  School intercept sd 1.0, class intercept
## sd 0.5, school slope of x sd 0.4 (independent of the intercept), residual sd 1;
## y = 1 + 0.5 x + effects + noise.
set.seed(303)
nsch <- 25; ncl <- 4
sizes <- sample(12:28, nsch * ncl, replace = TRUE)
cls <- rep(seq_len(nsch * ncl), times = sizes)
sch <- (cls - 1) %/% ncl + 1
n <- length(cls)
x <- round(rnorm(n), 4)
y <- round(1 + 0.5 * x + rnorm(nsch, sd = 1.0)[sch] + rnorm(nsch * ncl, sd = 0.5)[cls] +
             rnorm(nsch, sd = 0.4)[sch] * x + rnorm(n), 4)
write_data(data.frame(y, x, school = sprintf("sch%02d", sch), class = sprintf("c%d", (cls - 1) %% ncl + 1)),
           "three_level.csv", c(y = "numeric", x = "numeric", school = "factor", class = "factor"))

## Vector-valued term with most levels first: g has 80 levels (15 rows each,
## shuffled), h 15 levels (crossed, random), 1,200 rows.  x ~ U(-1, 1); by-g
## (intercept, slope) sds (0.9, 0.7), correlation -0.6; by-h intercept sd 0.6;
## residual sd 0.8; y = -1 + 1.2 x + effects + noise.
set.seed(404)
n <- 1200
gi <- sample(rep(1:80, each = 15)); hi <- sample(rep(1:15, length.out = n))
x <- round(runif(n, -1, 1), 4)
Ug <- matrix(rnorm(2 * 80), 80) %*% chol(cov2(c(0.9, 0.7), -0.6))
y <- round(-1 + 1.2 * x + Ug[gi, 1] + Ug[gi, 2] * x + rnorm(15, sd = 0.6)[hi] + rnorm(n, sd = 0.8), 4)
write_data(data.frame(y, x, g = sprintf("g%02d", gi), h = sprintf("h%02d", hi)),
           "slope_first.csv", c(y = "numeric", x = "numeric", g = "factor", h = "factor"))

## lme4 gradient warnings on well-identified models.  Candidates tried (lme4 1.1-31,
## default nloptwrap/BOBYQA), with the max|grad| warning or not:
##   sleepstudy (Days | Subject) with Days*1000: yes (max|grad| 3.5, stops at 1757.59
##     instead of 1743.63); Days*100: yes (2.7); Days*1e4: no (singular fit instead);
##     Days/1000, Reaction/1000, Reaction*1000: no; I(Days + 1000): degenerate
##     Hessian instead;
##   synthetic (x | g), 200 groups x 50, x ~ N(0, 1), seeds 1-3: no;
##   the same, 100 x 30 with x ~ N(10, 1), seeds 1-2: seed 2 yes (0.00265, and at
##     the optimum: a false alarm), seed 1 no;
##   the same with x ~ N(0, 50^2), slope sd 0.02, seeds 1-2: yes (0.0115, 0.34).
## Kept: sleepstudy with Days*1000 (lme4 stops far from the optimum) and the
## uncentred synthetic set (lme4 is at the optimum, the warning is spurious).

## sleepstudy with Days in thousandths of a day's unit: Days1000 = 1000 * Days
ssk <- data.frame(Reaction = sleepstudy$Reaction, Days1000 = 1000 * sleepstudy$Days,
                  Subject = as.character(sleepstudy$Subject))
write_data(ssk, "sleepstudy_days1000.csv", c(Reaction = "numeric", Days1000 = "numeric", Subject = "factor"))

## uncentred covariate: 100 groups x 30 rows, x ~ N(10, 1); (intercept, slope)
## sds (1, 0.5), correlation 0.5 (at x = 0); residual sd 1; y = 1 + 0.5 x + effects + noise
set.seed(2)
G <- 100; per <- 30
gi <- rep(1:G, each = per)
x <- round(rnorm(G * per, 10, 1), 4)
U <- matrix(rnorm(2 * G), G) %*% chol(cov2(c(1, 0.5), 0.5))
y <- round(1 + 0.5 * x + U[gi, 1] + U[gi, 2] * x + rnorm(G * per, sd = 1), 4)
write_data(data.frame(y, x, g = sprintf("g%03d", gi)), "uncentred_slope.csv",
           c(y = "numeric", x = "numeric", g = "factor"))

## ---------------------------------------------------------------- cases
make_case("orthodont_ml", "orthodont.csv", "distance ~ age + (age | Subject)", FALSE)
make_case("chem97_nested_ml", "chem97.csv", "score ~ gcsecnt + (1 | lea/school)", FALSE, max_rows = 200)
make_case("crossed_slopes_reml", "crossed_slopes.csv", "y ~ x + (x | subj) + (x | item)", TRUE)
make_case("crossed_slopes_ml", "crossed_slopes.csv", "y ~ x + (x | subj) + (x | item)", FALSE)
make_case("uncorrelated_crossed_reml", "crossed_slopes.csv", "y ~ x + (x || subj) + (1 | item)", TRUE)
make_case("latin_square_reml", "latin_square.csv",
          "y ~ a * b * c + (1 + a + b + c | subject) + (1 + a + b + c | item)", TRUE)
make_case("latin_square_max_reml", "latin_square.csv",
          "y ~ a * b * c + (1 + a * b * c | subject) + (1 + a * b * c | item)", TRUE, reps = 1)
make_case("three_level_nested_reml", "three_level.csv", "y ~ x + (1 | school/class) + (0 + x | school)", TRUE)
make_case("slope_first_term_ml", "slope_first.csv", "y ~ x + (1 + x | g) + (1 | h)", FALSE)

## Three nested levels with random slopes at two of them (8,000 rows): 40 schools,
## 10 classes each, 5 students per class, 4 rows per student.  School intercept sd
## 0.5, class intercept sd 0.4, student intercept sd 0.6 and slope sd 0.3
## (independent), residual sd 1; no class slope.  A gradient optimizer that lets a
## template's diagonal reach 0 stops there on a saddle (the criterion is even in
## that entry); lme4's BOBYQA does not.
set.seed(502)
nsch <- 40; ncl <- 10; nst <- 5; per <- 4
sch <- rep(seq_len(nsch), each = ncl * nst * per)
cls <- rep(seq_len(nsch * ncl), each = nst * per)
stu <- rep(seq_len(nsch * ncl * nst), each = per)
n <- length(sch)
x <- round(rnorm(n), 4)
y <- round(1 + 0.5 * x + rnorm(nsch, sd = 0.5)[sch] + rnorm(nsch * ncl, sd = 0.4)[cls] +
             rnorm(nsch * ncl * nst, sd = 0.6)[stu] + rnorm(nsch * ncl * nst, sd = 0.3)[stu] * x + rnorm(n), 4)
write_data(data.frame(y, x, school = sprintf("s%02d", sch), class = sprintf("c%03d", cls),
                      student = sprintf("p%04d", stu)),
           "nested_slopes.csv", c(y = "numeric", x = "numeric", school = "factor", class = "factor",
                                  student = "factor"))
make_case("nested_slopes_saddle_reml", "nested_slopes.csv",
          "y ~ x + (1 + x | student) + (1 + x | class) + (1 | school)", TRUE)

## best known optimum: the same model's criterion (lme4's devfun) at the theta of
## an exactly equivalent fit on a well-scaled covariate, mapped back
best_known <- function(file, formula, REML, star_formula, transform, A, how) {
  d <- read_data(file)
  d <- transform(d)
  star <- lmer(as.formula(star_formula), data = d, REML = REML)
  th <- mapped_theta(star, A)
  dev <- suppressWarnings(lmer(as.formula(formula), data = d, REML = REML, devFunOnly = TRUE))
  list(best_known_optimum = list(objective = dev(th), theta = th, how = how))
}
bk1 <- best_known("sleepstudy_days1000.csv", "Reaction ~ Days1000 + (Days1000 | Subject)", TRUE,
                  "Reaction ~ Days + (Days | Subject)", function(d) transform(d, Days = Days1000 / 1000),
                  diag(c(1, 1 / 1000)),
                  paste("theta of Reaction ~ Days + (Days | Subject) (Days = Days1000 / 1000, lme4",
                        "converges there) mapped to Days1000 (slope row divided by 1000), objective",
                        "= this model's REML criterion at that theta"))
make_case("lme4_gradient_warning_1_reml", "sleepstudy_days1000.csv",
          "Reaction ~ Days1000 + (Days1000 | Subject)", TRUE, extra = bk1)
bk2 <- best_known("uncentred_slope.csv", "y ~ x + (x | g)", TRUE,
                  "y ~ xc + (xc | g)", function(d) transform(d, xc = x - 10),
                  matrix(c(1, 0, -10, 1), 2),
                  paste("theta of y ~ xc + (xc | g) (xc = x - 10, no warning there) mapped to x",
                        "(intercept effect b0 = b0c - 10 b1), objective = this model's REML",
                        "criterion at that theta"))
make_case("lme4_gradient_warning_2_reml", "uncentred_slope.csv", "y ~ x + (x | g)", TRUE, extra = bk2)
cat("best known optimum, gradient warning 1:", format(bk1$best_known_optimum$objective, digits = 12),
    "\nbest known optimum, gradient warning 2:", format(bk2$best_known_optimum$objective, digits = 12), "\n")
