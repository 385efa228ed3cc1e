/* SSM Parameter Store's botocore model (trimmed by scripts/trim-model.py),
 * embedded so the binary needs no data files.  NUL-terminated; the size
 * excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_ssm
berth_model_ssm:
    .incbin "src/server/ssm/model.json"
    .byte 0
    .global berth_model_ssm_end
berth_model_ssm_end:
    .section .note.GNU-stack,"",@progbits
