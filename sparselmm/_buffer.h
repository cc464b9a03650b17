/* The one way our C extensions read a NumPy array: a held buffer, C-contiguous, of a given item size. */
#ifndef SPARSELMM_BUFFER_H
#define SPARSELMM_BUFFER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    Py_buffer view;
    int held;
} Buffer;

static void release(Buffer *b) {
    if (b->held) {
        PyBuffer_Release(&b->view);
        b->held = 0;
    }
}

/* A C-contiguous buffer of `count` items of `itemsize` bytes (count < 0: any count). */
static int take(PyObject *object, Buffer *b, Py_ssize_t itemsize, Py_ssize_t count, int writable,
                const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &b->view, flags) != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous%s array", name, writable ? " writable" : "");
        return -1;
    }
    b->held = 1;
    if (b->view.itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s must hold %zd-byte items, not %zd-byte", name, itemsize,
                     b->view.itemsize);
        return -1;
    }
    Py_ssize_t items = b->view.len / itemsize;
    if (count >= 0 && items != count) {
        PyErr_Format(PyExc_ValueError, "%s must have %zd items, not %zd", name, count, items);
        return -1;
    }
    return 0;
}

#endif
