/* Application Auto Scaling's botocore model (trimmed by scripts/trim-model.py),
 * embedded so the binary needs no data files.  NUL-terminated; the size
 * excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_autoscaling
berth_model_autoscaling:
    .incbin "src/server/autoscaling/model.json"
    .byte 0
    .global berth_model_autoscaling_end
berth_model_autoscaling_end:
    .section .note.GNU-stack,"",@progbits
