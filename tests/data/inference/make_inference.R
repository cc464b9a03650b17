## Reference numbers from R for inference on linear mixed models: lmerTest
## (Satterthwaite and Kenward-Roger t and F tests, ranova, drop1, contest),
## pbkrtest (vcovAdj, KRmodcomp), lme4 (profile and Wald intervals, profiles,
## likelihood-ratio anova of two fits) and emmeans (marginal means, pairs).
## Run from anywhere:
##   Rscript tests/data/inference/make_inference.R
## Writes the data CSVs and one <case>.json per case next to this script.
## README.md beside this file documents every file and field.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(emmeans)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted by code point, like Python

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else getwd()
source(file.path(out_dir, "kr_design.R"))

versions <- list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  lme4 = as.character(packageVersion("lme4")),
  lmerTest = as.character(packageVersion("lmerTest")),
  pbkrtest = as.character(packageVersion("pbkrtest")),
  emmeans = as.character(packageVersion("emmeans")),
  Matrix = as.character(packageVersion("Matrix")),
  nlme = as.character(packageVersion("nlme")))

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
           na.strings = "", check.names = FALSE)
}

## ---------------------------------------------------------------- JSON output
## Every R table (matrix or data frame) becomes
##   {"rownames": [...], "columns": [...], "values": [[row 1], [row 2], ...]}
## cells: numbers; NA/NaN -> null; +-Inf -> "Inf" / "-Inf"; factors -> their label.
cell <- function(v) {
  if (is.factor(v)) v <- as.character(v)
  if (length(v) != 1) stop("cell of length ", length(v))
  if (is.na(v)) return(NA)  # toJSON(na = "null") writes null
  if (is.numeric(v) && is.infinite(v)) return(if (v > 0) "Inf" else "-Inf")
  if (is.numeric(v)) return(as.numeric(v))
  v
}

tab <- function(x) {
  if (is.null(x)) return(NULL)
  if (inherits(x, "Matrix")) x <- as.matrix(x)
  if (is.matrix(x)) {
    cn <- colnames(x)
    rn <- rownames(x)
    x <- as.data.frame(x, stringsAsFactors = FALSE)
  } else {
    x <- as.data.frame(x, stringsAsFactors = FALSE, optional = TRUE)
    cn <- names(x)
    rn <- rownames(x)
  }
  if (is.null(cn)) cn <- rep("", ncol(x))
  if (is.null(rn)) rn <- seq_len(nrow(x))
  list(rownames = I(as.character(rn)),
       columns = I(as.character(cn)),
       values = lapply(seq_len(nrow(x)), function(i)
         lapply(seq_len(ncol(x)), function(j) cell(x[[j]][[i]]))))
}

named_matrix <- function(m, rn, cn) {
  m <- as.matrix(m)
  dimnames(m) <- list(rn, cn)
  m
}

## Run one R call; warnings and messages are recorded (not printed), an error
## gives NULL and its message.  Everything lands in conds[[where]].
conds <- list()
attempt <- function(where, expr) {
  warns <- character(0)
  msgs <- character(0)
  err <- NULL
  val <- withCallingHandlers(
    tryCatch(expr, error = function(e) { err <<- conditionMessage(e); NULL }),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  if (length(warns) || length(msgs) || !is.null(err))
    conds[[where]] <<- list(warnings = I(warns), messages = I(msgs), error = err)
  val
}

## Fit with lmerTest::lmer, the data held in the global environment under
## `dname` so that update() / refits inside lmerTest, pbkrtest and emmeans find it.
fit_model <- function(formula, dname, REML) {
  fml <- as.formula(formula, env = globalenv())
  eval(call("lmer", fml, data = as.name(dname), REML = REML), globalenv())
}

fit_summary <- function(fit) {
  ll <- logLik(fit)
  mlfit <- if (isREML(fit)) suppressWarnings(suppressMessages(refitML(fit))) else fit
  list(
    nobs = nobs(fit),
    ngroups = as.list(ngrps(fit)),
    theta = I(unname(getME(fit, "theta"))),
    theta_names = I(names(getME(fit, "theta"))),
    sigma = sigma(fit),
    fixef = as.list(fixef(fit)),
    fixef_names = I(names(fixef(fit))),
    logLik = as.numeric(ll),
    logLik_df = attr(ll, "df"),
    REMLcrit = if (isREML(fit)) REMLcrit(fit) else NA,
    deviance_ML = deviance(mlfit),
    logLik_ML = as.numeric(logLik(mlfit)),
    AIC = AIC(fit), BIC = BIC(fit),
    isSingular = isSingular(fit),
    vcov_beta = tab(as.matrix(vcov(fit))))
}

## ---------------------------------------------------------------- one case
make_case <- function(id, file, formula, REML = TRUE,
                      emm_specs = character(0), profile_df = FALSE,
                      extra_levels = numeric(0), comparisons = list()) {
  cat(sprintf("== %s: %s\n", id, formula))
  conds <<- list()
  dname <- paste0("d_", id)
  assign(dname, read_data(file), envir = globalenv())
  fit <- attempt("fit", fit_model(formula, dname, REML))
  stopifnot(inherits(fit, "lmerModLmerTest"))
  fitinfo <- fit_summary(fit)
  beta_names <- names(fixef(fit))
  p <- length(beta_names)

  ## a. coefficient tables
  coef_table <- list(
    satterthwaite = tab(attempt("coef_table.satterthwaite",
                                coef(summary(fit, ddf = "Satterthwaite")))),
    kenward_roger = tab(attempt("coef_table.kenward_roger",
                                coef(summary(fit, ddf = "Kenward-Roger")))),
    lme4 = tab(attempt("coef_table.lme4", coef(summary(fit, ddf = "lme4")))))

  ## b. anova tables
  an <- list(hypotheses = list())
  for (ddf in c("Satterthwaite", "Kenward-Roger")) {
    key <- c(Satterthwaite = "satterthwaite", `Kenward-Roger` = "kenward_roger")[[ddf]]
    an[[key]] <- list()
    for (type in 1:3) {
      a <- attempt(sprintf("anova.%s.type%d", key, type), anova(fit, type = type, ddf = ddf))
      an[[key]][[paste0("type", type)]] <- tab(a)
      if (key == "satterthwaite" && !is.null(a)) {
        ## the contrast matrices L (one per term) that lmerTest tested
        hyp <- attr(a, "hypotheses")
        an$hypotheses[[paste0("type", type)]] <- if (length(hyp))
          lapply(hyp, function(L) tab(named_matrix(L, seq_len(nrow(L)), beta_names)))
          else setNames(list(), character(0))
      }
    }
  }
  an$lme4 <- tab(attempt("anova.lme4", anova(fit, ddf = "lme4")))

  ## c. ranova and drop1
  ranova_t <- tab(attempt("ranova", ranova(fit)))
  ranova_nr <- tab(attempt("ranova_no_reduce", ranova(fit, reduce.terms = FALSE)))
  drop1_t <- list(
    satterthwaite = tab(attempt("drop1.satterthwaite", drop1(fit, ddf = "Satterthwaite"))),
    kenward_roger = tab(attempt("drop1.kenward_roger", drop1(fit, ddf = "Kenward-Roger"))))

  ## d. confidence intervals and profile
  ci <- list()
  for (lev in c(0.95, extra_levels)) {
    tag <- sprintf("%02d", round(100 * lev))
    ci[[paste0("profile_", tag)]] <- tab(attempt(
      paste0("confint.profile_", tag), confint(fit, method = "profile", level = lev)))
    ci[[paste0("wald_", tag)]] <- tab(attempt(
      paste0("confint.wald_", tag), confint(fit, method = "Wald", level = lev)))
  }
  prof <- NULL
  if (profile_df) prof <- tab(attempt("profile", as.data.frame(profile(fit))))

  ## e. emmeans
  rg <- attempt("ref_grid", ref_grid(fit))
  ref_grid_t <- if (!is.null(rg)) tab(rg@grid) else NULL
  emm <- list()
  for (spec in emm_specs) {
    for (method in c("satterthwaite", "kenward-roger")) {
      where <- sprintf("emmeans[%s, %s]", spec, method)
      e <- attempt(where, emmeans(fit, as.formula(spec), lmer.df = method))
      entry <- list(specs = spec, lmer_df = method, emmeans = NULL, messages = I(character(0)),
                    linfct = NULL, pairs = setNames(list(), character(0)),
                    pairs_messages = setNames(list(), character(0)))
      if (!is.null(e)) {
        s <- summary(e)
        entry$emmeans <- tab(s)
        entry$messages <- I(as.character(attr(s, "mesg")))
        entry$linfct <- tab(named_matrix(e@linfct, seq_len(nrow(e@linfct)), beta_names))
        if (nrow(s) > 1) {
          for (adj in c("tukey", "bonferroni", "holm", "none")) {
            ps <- attempt(sprintf("pairs[%s, %s, %s]", spec, method, adj),
                          summary(pairs(e, adjust = adj)))
            entry$pairs[[adj]] <- tab(ps)
            entry$pairs_messages[[adj]] <- I(as.character(attr(ps, "mesg")))
          }
        }
      }
      emm[[length(emm) + 1]] <- entry
    }
  }

  ## f. likelihood-ratio comparisons of nested fits (lme4's anova)
  comp <- list()
  for (cmp in comparisons) {
    f0 <- attempt(sprintf("comparison[%s].fit0", cmp$formula0),
                  fit_model(cmp$formula0, dname, REML))
    for (refit in c(TRUE, FALSE)) {
      tbl <- attempt(sprintf("comparison[%s, refit=%s]", cmp$formula0, refit), local({
        fit0 <- f0
        fit1 <- fit
        anova(fit0, fit1, refit = refit)
      }))
      comp[[length(comp) + 1]] <- list(
        models = list(fit0 = cmp$formula0, fit1 = formula), refit = refit,
        call = sprintf("anova(fit0, fit1, refit = %s)", refit),
        table = tab(tbl), fit0 = fit_summary(f0))
    }
  }

  ## g. Satterthwaite internals (lmerTest slots)
  varpar_names <- c(names(getME(fit, "theta")), "sigma")
  satt <- list(
    varpar_names = I(varpar_names),
    theta = I(fit@theta), sigma = fit@sigma,
    vcov_varpar = tab(named_matrix(fit@vcov_varpar, varpar_names, varpar_names)),
    Jac_list = lapply(fit@Jac_list, function(J) tab(named_matrix(J, beta_names, beta_names))),
    vcov_beta = tab(named_matrix(fit@vcov_beta, beta_names, beta_names)))

  ## h. Kenward-Roger internals (pbkrtest)
  vc <- VarCorr(fit)
  gg_names <- unlist(lapply(names(vc), function(g) {
    nm <- rownames(vc[[g]])
    ij <- which(lower.tri(vc[[g]], diag = TRUE), arr.ind = TRUE)
    ifelse(ij[, 1] == ij[, 2], sprintf("var(%s | %s)", nm[ij[, 1]], g),
           sprintf("cov(%s, %s | %s)", nm[ij[, 2]], nm[ij[, 1]], g))
  }))
  gg_names <- c(gg_names, "sigma^2")
  ggamma <- c(unlist(lapply(vc, function(v) v[lower.tri(v, diag = TRUE)])), sigma(fit)^2)
  va <- attempt("kr.vcovAdj", vcovAdj(fit))
  L_all <- if (p > 1) diag(p)[-1, , drop = FALSE] else matrix(1, 1, 1)
  L_last <- diag(p)[p, , drop = FALSE]
  colnames(L_all) <- colnames(L_last) <- beta_names
  Ls <- list(all = L_all, last = L_last)
  krmc <- list()
  for (nm in names(Ls)) {
    L <- Ls[[nm]]
    k <- attempt(sprintf("kr.KRmodcomp[%s]", nm), KRmodcomp(fit, unname(L)))
    krmc[[nm]] <- list(
      L = tab(named_matrix(L, seq_len(nrow(L)), beta_names)),
      test = if (!is.null(k)) tab(k$test) else NULL,
      aux = if (!is.null(k)) as.list(k$aux) else NULL,
      contest_satterthwaite = tab(attempt(sprintf("kr.contest_satterthwaite[%s]", nm),
        contest(fit, unname(L), joint = nrow(L) > 1 || nm == "all", ddf = "Satterthwaite"))),
      contest_kenward_roger = tab(attempt(sprintf("kr.contest_kenward_roger[%s]", nm),
        contest(fit, unname(L), joint = nrow(L) > 1 || nm == "all", ddf = "Kenward-Roger"))))
  }
  kr <- list(
    ggamma_names = I(gg_names), ggamma = I(unname(ggamma)),
    vcov = tab(named_matrix(vcov(fit), beta_names, beta_names)),
    vcovAdj = if (!is.null(va)) tab(named_matrix(va, beta_names, beta_names)) else NULL,
    W = if (!is.null(va)) tab(named_matrix(attr(va, "W"), gg_names, gg_names)) else NULL,
    condi = if (!is.null(va)) attr(va, "condi") else NULL,
    KRmodcomp = krmc)

  res <- c(list(id = id, data = file, formula = formula, REML = REML,
                column_types = as.list(col_types[[file]]), versions = versions),
           list(fit = fitinfo),
           list(coef_table = coef_table, anova = an, ranova = ranova_t,
                ranova_no_reduce = ranova_nr, drop1 = drop1_t,
                confint = ci, profile = prof, ref_grid = ref_grid_t, emmeans = emm, comparisons = comp,
                satterthwaite_internals = satt, kenward_roger_internals = kr,
                conditions = if (length(conds)) conds else setNames(list(), character(0))))
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
                    pretty = TRUE),
             file.path(out_dir, paste0(id, ".json")))
  cat(sprintf("  theta = %s  sigma = %.8g  singular = %s\n",
              paste(signif(getME(fit, "theta"), 8), collapse = ", "), sigma(fit), isSingular(fit)))
  for (w in names(conds)) {
    cc <- conds[[w]]
    cat(sprintf("  [%s]%s%s%s\n", w,
                if (length(cc$warnings)) paste0(" warning: ", paste(unique(cc$warnings), collapse = " | ")) else "",
                if (length(cc$messages)) paste0(" message: ", paste(unique(cc$messages), collapse = " | ")) else "",
                if (!is.null(cc$error)) paste0(" ERROR: ", cc$error) else ""))
  }
  rm(list = dname, envir = globalenv())
  invisible(fit)
}

## ---------------------------------------------------------------- datasets
hm <- data.frame(Consumer = as.character(lmerTest::ham$Consumer),
                 Product = as.character(lmerTest::ham$Product),
                 Information = as.character(lmerTest::ham$Information),
                 Gender = as.character(lmerTest::ham$Gender),
                 Age = as.numeric(lmerTest::ham$Age),
                 Informed.liking = as.numeric(lmerTest::ham$Informed.liking),
                 stringsAsFactors = FALSE, check.names = FALSE)
write_data(hm, "ham.csv", c(Consumer = "factor", Product = "factor", Information = "factor",
                            Gender = "factor", Age = "numeric", Informed.liking = "numeric"))

ss <- lme4::sleepstudy[, c("Reaction", "Days", "Subject")]
ss$Subject <- as.character(ss$Subject)
write_data(ss, "sleepstudy.csv", c(Reaction = "numeric", Days = "numeric", Subject = "factor"))

pn <- data.frame(diameter = lme4::Penicillin$diameter, plate = as.character(lme4::Penicillin$plate),
                 sample = as.character(lme4::Penicillin$sample))
write_data(pn, "penicillin.csv", c(diameter = "numeric", plate = "factor", sample = "factor"))

ps <- data.frame(strength = lme4::Pastes$strength, batch = as.character(lme4::Pastes$batch),
                 cask = as.character(lme4::Pastes$cask))
write_data(ps, "pastes.csv", c(strength = "numeric", batch = "factor", cask = "factor"))

oats <- as.data.frame(nlme::Oats)
oa <- data.frame(yield = as.numeric(oats$yield), Block = as.character(oats$Block),
                 Variety = as.character(oats$Variety), nitro = oats$nitro)
write_data(oa, "oats.csv", c(yield = "numeric", Block = "factor", Variety = "factor", nitro = "numeric"))

ck <- data.frame(replicate = as.character(lme4::cake$replicate),
                 recipe = as.character(lme4::cake$recipe),
                 temperature = as.character(lme4::cake$temperature),
                 temp = lme4::cake$temp, angle = lme4::cake$angle)
write_data(ck, "cake.csv", c(replicate = "factor", recipe = "factor", temperature = "factor",
                             temp = "numeric", angle = "numeric"))

mach <- as.data.frame(nlme::Machines)
mc <- data.frame(score = mach$score, Worker = as.character(mach$Worker),
                 Machine = as.character(mach$Machine))
write_data(mc, "machines.csv", c(score = "numeric", Worker = "factor", Machine = "factor"))

## Dyestuff2 with an added within-batch treatment: obs = position of the row in
## its batch (1..5 in lme4's row order), trt = a, b, c, a, b by position.
dy <- data.frame(Yield = lme4::Dyestuff2$Yield, Batch = as.character(lme4::Dyestuff2$Batch),
                 obs = rep(1:5, 6))
dy$trt <- c("a", "b", "c")[(dy$obs - 1) %% 3 + 1]
write_data(dy, "dyestuff2_trt.csv", c(Yield = "numeric", Batch = "factor", obs = "numeric",
                                      trt = "factor"))

write_data(make_kr_data(500), "crossed.csv",
           c(y = "numeric", cond = "factor", x = "numeric", subj = "factor", item = "factor"))

## ---------------------------------------------------------------- cases
t_start <- proc.time()[["elapsed"]]
make_case("ham", "ham.csv",
          "Informed.liking ~ Product * Information + (1 | Consumer) + (1 | Consumer:Product)",
          emm_specs = c("~ Product", "~ Information", "~ Product | Information",
                        "~ Product * Information"),
          comparisons = list(list(formula0 = paste(
            "Informed.liking ~ Product + Information + (1 | Consumer) + (1 | Consumer:Product)"))))
make_case("ham_age", "ham.csv",
          "Informed.liking ~ Product * Information + Gender + Age + (1 | Consumer) + (1 | Consumer:Product)",
          emm_specs = c("~ Product", "~ Information", "~ Gender"))
make_case("sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)",
          emm_specs = "~ 1", profile_df = TRUE, extra_levels = 0.90,
          comparisons = list(list(formula0 = "Reaction ~ Days + (1 | Subject)")))
make_case("penicillin", "penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)",
          emm_specs = "~ 1", profile_df = TRUE)
make_case("crossed", "crossed.csv", "y ~ cond + x + (1 | subj) + (1 | item)",
          emm_specs = "~ cond",
          comparisons = list(list(formula0 = "y ~ x + (1 | subj) + (1 | item)")))
make_case("pastes", "pastes.csv", "strength ~ 1 + (1 | batch) + (1 | batch:cask)",
          emm_specs = "~ 1")
make_case("oats", "oats.csv", "yield ~ Variety + nitro + (1 | Block) + (1 | Block:Variety)",
          emm_specs = "~ Variety")
make_case("cake", "cake.csv", "angle ~ recipe * temperature + (1 | recipe:replicate)",
          emm_specs = c("~ recipe", "~ temperature", "~ recipe | temperature"))
make_case("cake_temp", "cake.csv", "angle ~ recipe * temp + (1 | recipe:replicate)",
          emm_specs = "~ recipe")
make_case("machines", "machines.csv", "score ~ Machine + (1 | Worker) + (1 | Worker:Machine)",
          emm_specs = "~ Machine",
          comparisons = list(list(formula0 = "score ~ Machine + (1 | Worker)")))
make_case("singular", "dyestuff2_trt.csv", "Yield ~ trt + (1 | Batch)",
          emm_specs = "~ trt")

writeLines(toJSON(lapply(col_types, as.list), auto_unbox = TRUE, pretty = TRUE),
           file.path(out_dir, "column_types.json"))
cat(sprintf("done in %.0f s\n", proc.time()[["elapsed"]] - t_start))
