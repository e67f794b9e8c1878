"""The upload step every import screen shares: one .xlsx file, refused above the size the
reader accepts (training_platform.xlsx), with Chinese messages."""

from django import forms

from training_platform import xlsx

XLSX_ACCEPT = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportFileForm(forms.Form):
    file = forms.FileField(
        label="文件（.xlsx）",
        help_text="请使用下载的模板填写。",
        error_messages={
            "required": "请选择要上传的文件。",
            "empty": "文件是空的。",
            "invalid": "请选择要上传的文件。",
        },
        widget=forms.ClearableFileInput(attrs={"accept": XLSX_ACCEPT}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = xlsx.DEFAULT_LIMITS.max_bytes
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件太大，上限为 {limit // 1024 // 1024} MB。请拆分后分批上传。"
            )
        return upload
