/* The entries of A^-1 on the pattern of its sparse Cholesky factor (Takahashi's equations).
 *
 * With A = L L' (L lower triangular, CSC) and Z = A^-1, Z L = L^-T, an upper triangular
 * matrix with diagonal 1 / L_jj. Column j of that identity, for rows i >= j, reads
 *
 *     Z_ij = (delta_ij / L_jj - sum_{k > j, L_kj != 0} Z_ik L_kj) / L_jj,
 *
 * and every Z_ik it needs (i and k both in column j's pattern) lies on L's pattern,
 * in a column after j: the pattern of a Cholesky factor is closed that way (if i > k
 * are both below the diagonal of column j, then L_ik is in the pattern). So the
 * columns are computed from the last to the first, each overwriting L's values with
 * Z's: the gradient of log|A| needs A^-1 only on A's pattern, which L's contains.
 *
 * The work is sum_j n_j^2 for n_j entries below the diagonal of column j, about that
 * of the factorization itself; the memory is L's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

#include "_buffer.h"

/* 0, or the column whose pattern is not that of a Cholesky factor (plus one, negated). */
static int64_t check_pattern(const int32_t *indptr, const int32_t *indices, int64_t n) {
    for (int64_t j = 0; j < n; j++) {
        int32_t start = indptr[j], stop = indptr[j + 1];
        if (stop <= start || indices[start] != j) return -(j + 1);
        for (int32_t e = start + 1; e < stop; e++)
            if (indices[e] <= indices[e - 1] || indices[e] >= n) return -(j + 1);
    }
    return 0;
}

/* Overwrite L's values with Z's, column by column from the last; 0, or -(j+1) for a pattern not closed. */
static int64_t takahashi(const int32_t *indptr, const int32_t *indices, double *values, int64_t n) {
    int64_t widest = 0;
    for (int64_t j = 0; j < n; j++)
        if (indptr[j + 1] - indptr[j] > widest) widest = indptr[j + 1] - indptr[j];
    double *l = malloc((size_t)(2 * widest + 1) * sizeof(double));
    if (!l) return -(n + 1);
    double *z = l + widest;
    for (int64_t j = n - 1; j >= 0; j--) {
        int32_t start = indptr[j] + 1, stop = indptr[j + 1];
        int32_t m = stop - start;
        const int32_t *rows = indices + start;
        double d = values[indptr[j]];
        for (int32_t a = 0; a < m; a++) {
            l[a] = values[start + a];
            z[a] = 0.0;
        }
        for (int32_t b = 0; b < m; b++) {
            int32_t k = rows[b], q = indptr[k], end = indptr[k + 1];
            for (int32_t a = b; a < m; a++) {
                while (q < end && indices[q] < rows[a]) q++;
                if (q == end || indices[q] != rows[a]) {
                    free(l);
                    return -(j + 1);
                }
                double zak = values[q];
                z[a] += l[b] * zak;
                if (a != b) z[b] += l[a] * zak;
            }
        }
        double diagonal = 1.0 / (d * d);
        for (int32_t a = 0; a < m; a++) {
            values[start + a] = -z[a] / d;
            diagonal -= l[a] * values[start + a] / d;
        }
        values[indptr[j]] = diagonal;
    }
    free(l);
    return 0;
}

static const char selected_inverse_doc[] =
    "selected_inverse(indptr, indices, data)\n\n"
    "Overwrite data, the values of a lower-triangular Cholesky factor L of A in CSC form (int32 indptr and\n"
    "indices, diagonal first in each column, rows ascending), with the entries of A^-1 on L's pattern.";

static PyObject *selected_inverse(PyObject *self, PyObject *args) {
    PyObject *indptr_o, *indices_o, *data_o, *result = NULL;
    if (!PyArg_ParseTuple(args, "OOO", &indptr_o, &indices_o, &data_o)) return NULL;
    Buffer indptr = {0}, indices = {0}, data = {0};
    if (take(indptr_o, &indptr, 4, -1, 0, "indptr") || take(indices_o, &indices, 4, -1, 0, "indices") ||
        take(data_o, &data, 8, -1, 1, "data"))
        goto done;
    int64_t n = indptr.view.len / 4 - 1;
    const int32_t *ptr = indptr.view.buf;
    if (n < 0 || ptr[0] != 0 || ptr[n] != indices.view.len / 4 || indices.view.len / 4 != data.view.len / 8) {
        PyErr_SetString(PyExc_ValueError, "indptr, indices and data do not describe one CSC matrix");
        goto done;
    }
    int64_t failed = check_pattern(ptr, indices.view.buf, n);
    if (!failed) {
        Py_BEGIN_ALLOW_THREADS
        failed = takahashi(ptr, indices.view.buf, data.view.buf, n);
        Py_END_ALLOW_THREADS
    }
    if (failed == -(n + 1)) {
        PyErr_NoMemory();
        goto done;
    }
    if (failed) {
        PyErr_Format(PyExc_ValueError, "column %lld: not the pattern of a Cholesky factor (diagonal first, rows "
                     "ascending, closed under elimination)", (long long)(-failed - 1));
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    release(&indptr);
    release(&indices);
    release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"selected_inverse", selected_inverse, METH_VARARGS, selected_inverse_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_selinv", "The entries of A^-1 on the pattern of its sparse Cholesky factor.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__selinv(void) { return PyModule_Create(&module); }
