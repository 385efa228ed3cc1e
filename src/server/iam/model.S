/* IAM's botocore model (trimmed by scripts/trim-model.py), embedded so the
 * binary needs no data files.  NUL-terminated; the size excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_iam
berth_model_iam:
    .incbin "src/server/iam/model.json"
    .byte 0
    .global berth_model_iam_end
berth_model_iam_end:
    .section .note.GNU-stack,"",@progbits
