/* CloudWatch Logs' botocore model (trimmed by scripts/trim-model.py),
 * embedded so the binary needs no data files.  NUL-terminated; the size
 * excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_logs
berth_model_logs:
    .incbin "src/server/logs/model.json"
    .byte 0
    .global berth_model_logs_end
berth_model_logs_end:
    .section .note.GNU-stack,"",@progbits
