/* CloudWatch's botocore model (trimmed by scripts/trim-model.py),
 * embedded so the binary needs no data files.  NUL-terminated; the size
 * excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_cloudwatch
berth_model_cloudwatch:
    .incbin "src/server/cloudwatch/model.json"
    .byte 0
    .global berth_model_cloudwatch_end
berth_model_cloudwatch_end:
    .section .note.GNU-stack,"",@progbits
